// `switchboard numbers …`: numbers and SIP URIs and where they route inbound calls.
import { CliApiError, resourceCommand } from '../api-client.ts';

export const numbersCommand = resourceCommand({
  name: 'numbers',
  path: '/v1/numbers',
  summary: 'list, create, show and delete numbers and SIP URIs',
  createUsage: '<+E164 | +prefix* | sip:uri> [--app <id>] [--route application|robot|meeting|diagnostic] [--target <name>]',
  createOptions: { app: { type: 'string' }, route: { type: 'string' }, target: { type: 'string' } },
  createBody(positionals, values) {
    if (positionals.length !== 1) throw new CliApiError('usage: create needs exactly one <number>');
    const body: Record<string, unknown> = { number: positionals[0] };
    if (typeof values.app === 'string') body.applicationId = values.app;
    if (typeof values.route === 'string') body.routeTo = { type: values.route, ...(typeof values.target === 'string' ? { target: values.target } : {}) };
    else if (typeof values.target === 'string') throw new CliApiError('usage: --target needs --route');
    return body;
  },
  columns: [['ID', (n) => n.id], ['NUMBER', (n) => n.number], ['ROUTE', (n) => (n.routeTo.target ? `${n.routeTo.type}:${n.routeTo.target}` : n.routeTo.type)], ['APPLICATION', (n) => n.applicationId]],
});
