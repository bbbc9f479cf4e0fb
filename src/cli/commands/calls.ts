// `switchboard calls list|get|hangup`: the calls of the key's application (the admin key sees
// every application's). Also the small read-only command builder `recordings` and `cdrs` use:
// list (one page, newest filters as query options), get, and extra verbs of their own.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CliApiError, DEFAULT_URL, apiRequest, fieldsOf, resolveTarget, table, type ApiTarget, type ResourceCommandSpec } from '../api-client.ts';
import { EXIT, type CliIo, type Command } from '../command.ts';

type OptionSpec = { type: 'string' | 'boolean'; short?: string };

export interface ReadCommandSpec {
  name: string;
  path: string;
  summary: string;
  /** Query options of list (`--state ringing` → ?state=ringing). */
  listOptions: Record<string, OptionSpec>;
  columns: ResourceCommandSpec['columns'];
  /** Extra verbs: usage line and what they do (return an exit code). */
  verbs?: Record<string, { usage: string; run(target: ApiTarget, args: string[], values: Record<string, unknown>, io: CliIo, json: boolean): Promise<number> }>;
  /** Options extra verbs take. */
  verbOptions?: Record<string, OptionSpec>;
}

export function readCommand(spec: ReadCommandSpec): Command {
  const verbs = spec.verbs ?? {};
  const listOpts = Object.keys(spec.listOptions).map((k) => `--${k} <${k}>`).join(' ');
  const usage = [
    `Usage: switchboard ${spec.name} <list|get${Object.keys(verbs).map((v) => `|${v}`).join('')}> [args] [--json]`,
    '',
    `  switchboard ${spec.name} list [${listOpts}${listOpts ? ' ' : ''}--limit <n>]`,
    `  switchboard ${spec.name} get <id>`,
    ...Object.entries(verbs).map(([v, d]) => `  switchboard ${spec.name} ${v} ${d.usage}`),
    '',
    'Options:',
    '  --json        print the API\'s JSON instead of a table',
    '  -h, --help    show this help',
    '',
    `Talks to SWITCHBOARD_URL (default ${DEFAULT_URL}) with SWITCHBOARD_API_KEY (an application's key`,
    'sees its own; the admin key sees all), else the admin key in $SWITCHBOARD_DATA_DIR/admin-key.',
  ].join('\n');
  return {
    summary: spec.summary,
    usage,
    async run(args, io) {
      const { values, positionals } = parseArgs({
        args, strict: true, allowPositionals: true,
        options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, limit: { type: 'string' }, ...spec.listOptions, ...spec.verbOptions },
      });
      const [verb, ...rest] = positionals;
      if (values.help || verb === undefined) {
        (values.help ? io.stdout : io.stderr)(`${usage}\n`);
        return values.help ? EXIT.OK : EXIT.USAGE;
      }
      const json = values.json === true;
      const fail = (msg: string, code: number = EXIT.FAILURE): number => {
        io.stderr(`switchboard ${spec.name}: ${msg}\n`);
        return code;
      };
      try {
        const target = resolveTarget(io.env);
        if (verb === 'list') {
          const q = new URLSearchParams();
          for (const k of [...Object.keys(spec.listOptions), 'limit']) {
            const v = (values as Record<string, unknown>)[k];
            if (typeof v === 'string') q.set(k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), v);
          }
          const qs = q.toString();
          const r = (await apiRequest(target, 'GET', `${spec.path}${qs ? `?${qs}` : ''}`)) as { items: Record<string, unknown>[]; nextCursor?: string };
          io.stdout(json ? `${JSON.stringify(r, null, 2)}\n` : table(spec.columns, r.items) + (r.nextCursor ? `(more: --cursor ${r.nextCursor})\n` : ''));
          return EXIT.OK;
        }
        if (verb === 'get') {
          if (rest.length !== 1) return fail(`get needs exactly one <id>\n\n${usage}`, EXIT.USAGE);
          const r = await apiRequest(target, 'GET', `${spec.path}/${encodeURIComponent(rest[0])}`);
          io.stdout(json ? `${JSON.stringify(r, null, 2)}\n` : fieldsOf(r));
          return EXIT.OK;
        }
        const extra = verbs[verb];
        if (!extra) return fail(`unknown action "${verb}"\n\n${usage}`, EXIT.USAGE);
        return await extra.run(target, rest, values as Record<string, unknown>, io, json);
      } catch (err) {
        if (err instanceof CliApiError) return fail(err.message, /^usage:/.test(err.message) ? EXIT.USAGE : EXIT.FAILURE);
        throw err;
      }
    },
  };
}

const time = (ms: unknown): string | null => (typeof ms === 'number' ? new Date(ms).toISOString() : null);
export const party = (p: unknown): string => {
  const o = p as Record<string, string> | null;
  if (!o) return '-';
  return o.number ?? o.uri ?? o.user ?? o.applicationId ?? JSON.stringify(o);
};

export const callsCommand = readCommand({
  name: 'calls',
  path: '/v1/calls',
  summary: 'list and show calls, hang one up',
  listOptions: { state: { type: 'string' }, direction: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, cursor: { type: 'string' } },
  columns: [
    ['ID', (c) => c.id], ['DIRECTION', (c) => c.direction], ['STATE', (c) => c.state], ['FROM', (c) => party(c.from)],
    ['TO', (c) => party(c.to)], ['CREATED', (c) => time(c.createdAt)], ['END REASON', (c) => c.endReason],
  ],
  verbs: {
    hangup: {
      usage: '<id>',
      async run(target, args, _v, io, json) {
        if (args.length !== 1) throw new CliApiError('usage: hangup needs exactly one <id>');
        const op = await apiRequest(target, 'POST', `/v1/calls/${encodeURIComponent(args[0])}/hangup`, { forEveryone: true });
        io.stdout(json ? `${JSON.stringify(op, null, 2)}\n` : `hanging up ${args[0]} (operation ${(op as { id: string }).id})\n`);
        return EXIT.OK;
      },
    },
  },
});

/** Used by recordings download: writes bytes fetched with the key. */
export async function download(target: ApiTarget, path: string, file: string): Promise<number> {
  let res: Response;
  try {
    res = await fetch(`${target.url}${path}`, { headers: { authorization: `Bearer ${target.key}` }, signal: AbortSignal.timeout(60_000) });
  } catch (err) {
    throw new CliApiError(`cannot reach ${target.url}: ${(err as Error).message}`);
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
    throw new CliApiError(`${body?.error?.code ?? `HTTP ${res.status}`}: ${body?.error?.message ?? 'download failed'}`, res.status, body?.error?.code);
  }
  const bytes = Buffer.from(await res.arrayBuffer());
  writeFileSync(file, bytes);
  return bytes.length;
}
