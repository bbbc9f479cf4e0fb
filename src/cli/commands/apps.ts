// `switchboard apps …`: applications (tenants). Needs the admin key. The API key printed by
// `create` is shown once: the server keeps only its hash.
import { CliApiError, resourceCommand } from '../api-client.ts';

export const appsCommand = resourceCommand({
  name: 'apps',
  path: '/v1/applications',
  summary: 'list, create, show and delete applications (tenants)',
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
