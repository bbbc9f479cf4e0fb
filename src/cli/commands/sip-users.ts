// `switchboard sip-users …`: phones that register with digest credentials.
import { CliApiError, resourceCommand } from '../api-client.ts';

export const sipUsersCommand = resourceCommand({
  name: 'sip-users',
  path: '/v1/sip-users',
  summary: 'list, create, show and delete SIP users (phones)',
  createUsage: '<username> (--password <p> | --ha1 <md5hex>) [--app <id>]',
  createOptions: { password: { type: 'string' }, ha1: { type: 'string' }, app: { type: 'string' } },
  createBody(positionals, v) {
    if (positionals.length !== 1) throw new CliApiError('usage: create needs exactly one <username>');
    const body: Record<string, unknown> = { username: positionals[0] };
    if (typeof v.password === 'string') body.password = v.password;
    if (typeof v.ha1 === 'string') body.ha1 = v.ha1;
    if (typeof v.app === 'string') body.applicationId = v.app;
    return body;
  },
  columns: [['ID', (u) => u.id], ['USERNAME', (u) => u.username], ['CREDENTIAL', (u) => u.credential], ['APPLICATION', (u) => u.applicationId]],
});
