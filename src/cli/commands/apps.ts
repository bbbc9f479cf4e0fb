// `switchboard apps …`: applications (tenants). Needs the admin key. The API key printed by
// `create` is shown once: the server keeps only its hash.
// `switchboard apps acs-keys list|create|revoke <app-id> …`: the ACS access keys an Azure Call
// Automation bot signs with (src/faces/acs); several may be active at once for rotation.
import { parseArgs } from 'node:util';
import { apiRequest, CliApiError, fieldsOf, resolveTarget, resourceCommand, table } from '../api-client.ts';
import { EXIT, type CliIo, type Command } from '../command.ts';

const resource = resourceCommand({
  name: 'apps',
  path: '/v1/applications',
  summary: 'list, create, show and delete applications (tenants); manage their ACS access keys',
  createUsage: '<name> [--callback-url <url>]',
  createOptions: { 'callback-url': { type: 'string' } },
  createBody(positionals, values) {
    if (positionals.length !== 1) throw new CliApiError('usage: create needs exactly one <name> (quote names with spaces)');
    const body: Record<string, unknown> = { name: positionals[0] };
    if (typeof values['callback-url'] === 'string') body.callbackUrl = values['callback-url'];
    return body;
  },
  columns: [['ID', (a) => a.id], ['NAME', (a) => a.name], ['CALLBACK URL', (a) => a.callbackUrl]],
  afterCreate(r, io) {
    io.stdout([
      `created application ${r.application.id} (${r.application.name})`,
      `API key (shown once, store it now): ${r.apiKey.key}`,
      `webhook secret: ${r.webhookSecrets[0]}`,
      '',
    ].join('\n'));
  },
});

const acsUsage = [
  'Usage: switchboard apps acs-keys <list|create|revoke> <app-id> [args] [--json]',
  '',
  '  switchboard apps acs-keys list <app-id>              every key, revoked ones included',
  '  switchboard apps acs-keys create <app-id> [--key <base64>]',
  '  switchboard apps acs-keys revoke <app-id> <key-id>',
  '',
  'The SDK connection string is endpoint=<SWITCHBOARD_URL>/;accesskey=<key>.',
].join('\n');

const time = (ms: unknown): string => (typeof ms === 'number' ? new Date(ms).toISOString() : '-');

async function acsKeys(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' }, key: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
  const [verb, appId, keyId, ...extra] = positionals;
  if (values.help) {
    io.stdout(`${acsUsage}\n`);
    return EXIT.OK;
  }
  const usage = (why: string): number => {
    io.stderr(`switchboard apps acs-keys: ${why}\n\n${acsUsage}\n`);
    return EXIT.USAGE;
  };
  if (!verb || !appId) return usage('needs an action and an <app-id>');
  const json = values.json === true;
  const path = `/v1/applications/${encodeURIComponent(appId)}/acs-keys`;
  try {
    const target = resolveTarget(io.env);
    switch (verb) {
      case 'list': {
        if (keyId !== undefined) return usage('list takes only <app-id>');
        const r = (await apiRequest(target, 'GET', path)) as { items: Record<string, unknown>[] };
        io.stdout(json ? `${JSON.stringify(r, null, 2)}\n` : table([
          ['ID', (k) => k.id], ['KEY', (k) => k.key], ['CREATED', (k) => time(k.createdAt)], ['REVOKED', (k) => (k.revokedAt === null ? '-' : time(k.revokedAt))],
        ], r.items));
        return EXIT.OK;
      }
      case 'create': {
        if (keyId !== undefined) return usage('create takes only <app-id> (and --key)');
        const r = await apiRequest(target, 'POST', path, typeof values.key === 'string' ? { key: values.key } : {}) as Record<string, unknown>;
        io.stdout(json ? `${JSON.stringify(r, null, 2)}\n` : `${fieldsOf(r)}connection string: endpoint=${target.url}/;accesskey=${String(r.key)}\n`);
        return EXIT.OK;
      }
      case 'revoke': {
        if (keyId === undefined || extra.length > 0) return usage('revoke needs <app-id> <key-id>');
        await apiRequest(target, 'DELETE', `${path}/${encodeURIComponent(keyId)}`);
        if (!json) io.stdout(`revoked ${keyId}\n`);
        return EXIT.OK;
      }
      default:
        return usage(`unknown action "${verb}"`);
    }
  } catch (err) {
    if (err instanceof CliApiError) {
      io.stderr(`switchboard apps acs-keys: ${err.message}\n`);
      return EXIT.FAILURE;
    }
    throw err;
  }
}

export const appsCommand: Command = {
  summary: resource.summary,
  usage: `${resource.usage}\n\n${acsUsage}`,
  run: (args, io) => (args[0] === 'acs-keys' ? acsKeys(args.slice(1), io) : resource.run(args, io)),
};
