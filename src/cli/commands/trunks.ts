// `switchboard trunks …`: carrier gateways.
import { CliApiError, resourceCommand } from '../api-client.ts';

export const trunksCommand = resourceCommand({
  name: 'trunks',
  path: '/v1/trunks',
  summary: 'list, create, show and delete trunks (carrier gateways)',
  createUsage: '<name> --host <host> [--port <n>] [--transport udp|tcp|tls|ws|wss] [--username <u> --password <p>] [--register] [--app <id>]',
  createOptions: {
    host: { type: 'string' }, port: { type: 'string' }, transport: { type: 'string' }, username: { type: 'string' },
    password: { type: 'string' }, register: { type: 'boolean' }, app: { type: 'string' },
  },
  createBody(positionals, v) {
    if (positionals.length !== 1) throw new CliApiError('usage: create needs exactly one <name>');
    if (typeof v.host !== 'string') throw new CliApiError('usage: create needs --host');
    const body: Record<string, unknown> = { name: positionals[0], host: v.host };
    if (typeof v.port === 'string') {
      if (!/^\d+$/.test(v.port)) throw new CliApiError(`usage: --port must be a number, got "${v.port}"`);
      body.port = Number(v.port);
    }
    for (const k of ['transport', 'username', 'password'] as const) if (typeof v[k] === 'string') body[k] = v[k];
    if (v.register === true) body.register = true;
    if (typeof v.app === 'string') body.applicationId = v.app;
    return body;
  },
  columns: [['ID', (t) => t.id], ['NAME', (t) => t.name], ['HOST', (t) => `${t.host}:${t.port}`], ['TRANSPORT', (t) => t.transport], ['REGISTER', (t) => t.register], ['APPLICATION', (t) => t.applicationId]],
});
