// How `switchboard apps|numbers|trunks|sip-users …` talk to a running node: its HTTP API, at
// SWITCHBOARD_URL (default http://127.0.0.1:8080), with SWITCHBOARD_API_KEY, else the admin
// key file in the data directory (SWITCHBOARD_DATA_DIR, default ./data) — which is how an
// operator on the node's own machine needs no setup. Errors come back as one readable line.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ADMIN_KEY_FILE } from '../server/index.ts';
import { EXIT, type CliIo, type Command } from './command.ts';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export class CliApiError extends Error {
  constructor(message: string, readonly status?: number, readonly code?: string) {
    super(message);
  }
}

export interface ApiTarget {
  url: string;
  key: string;
}

export function resolveTarget(env: NodeJS.ProcessEnv): ApiTarget {
  const url = (env.SWITCHBOARD_URL?.trim() || DEFAULT_URL).replace(/\/+$/, '');
  const explicit = env.SWITCHBOARD_API_KEY?.trim();
  if (explicit) return { url, key: explicit };
  const file = join(resolve(env.SWITCHBOARD_DATA_DIR?.trim() || './data'), ADMIN_KEY_FILE);
  try {
    return { url, key: readFileSync(file, 'utf8').trim() };
  } catch {
    throw new CliApiError(`no API key: set SWITCHBOARD_API_KEY, or run where the admin key file ${file} is readable`);
  }
}

/** One request; resolves the parsed JSON body (undefined for 204), throws CliApiError otherwise. */
export async function apiRequest(target: ApiTarget, method: string, path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${target.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${target.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    throw new CliApiError(`cannot reach ${target.url}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
  }
  if (res.status === 204) return undefined;
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    throw new CliApiError(`${method} ${path}: HTTP ${res.status} with a non-JSON body`, res.status);
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; details?: { path: string; message: string }[] } })?.error;
    const details = e?.details?.map((d) => `\n  ${d.path}: ${d.message}`).join('') ?? '';
    throw new CliApiError(`${e?.code ?? `HTTP ${res.status}`}: ${e?.message ?? 'request failed'}${details}`, res.status, e?.code);
  }
  return json;
}

type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean };

/** One resource's CLI: `<name> list|get|create|delete … [--json]`. */
export interface ResourceCommandSpec {
  name: string;
  /** API path under the URL, e.g. '/v1/numbers'. */
  path: string;
  summary: string;
  /** Usage lines for create (after `switchboard <name> create`). */
  createUsage: string;
  createOptions: Record<string, OptionSpec>;
  /** Builds the POST body from `create`'s positionals and options; throw CliApiError for usage errors. */
  createBody(positionals: string[], values: Record<string, unknown>): unknown;
  /** Columns of the `list` table: header and how to read the value. */
  columns: [string, (item: Record<string, any>) => unknown][];
  /** Extra lines printed after create without --json (e.g. the API key shown once). */
  afterCreate?(result: any, io: CliIo): void;
}

export function resourceCommand(spec: ResourceCommandSpec): Command {
  const usage = [
    `Usage: switchboard ${spec.name} <list|get|create|delete> [args] [--json]`,
    '',
    `  switchboard ${spec.name} list`,
    `  switchboard ${spec.name} get <id>`,
    `  switchboard ${spec.name} create ${spec.createUsage}`,
    `  switchboard ${spec.name} delete <id>`,
    '',
    'Options:',
    '  --json        print the API\'s JSON instead of a table',
    '  -h, --help    show this help',
    '',
    `Talks to SWITCHBOARD_URL (default ${DEFAULT_URL}) with SWITCHBOARD_API_KEY, else the admin`,
    'key in $SWITCHBOARD_DATA_DIR/admin-key (default ./data).',
  ].join('\n');
  return {
    summary: spec.summary,
    usage,
    async run(args, io) {
      const { values, positionals } = parseArgs({
        args,
        options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, ...spec.createOptions },
        strict: true,
        allowPositionals: true,
      });
      const [verb, ...rest] = positionals;
      if (values.help || verb === undefined) {
        (verb === undefined && !values.help ? io.stderr : io.stdout)(`${usage}\n`);
        return verb === undefined && !values.help ? EXIT.USAGE : EXIT.OK;
      }
      const json = values.json === true;
      const fail = (msg: string, code: number = EXIT.FAILURE): number => {
        io.stderr(`switchboard ${spec.name}: ${msg}\n`);
        return code;
      };
      try {
        const target = resolveTarget(io.env);
        switch (verb) {
          case 'list': {
            const r = (await apiRequest(target, 'GET', spec.path)) as { items: Record<string, unknown>[] };
            io.stdout(json ? `${JSON.stringify(r, null, 2)}\n` : table(spec.columns, r.items));
            return EXIT.OK;
          }
          case 'get': {
            if (rest.length !== 1) return fail(`get needs exactly one <id>\n\n${usage}`, EXIT.USAGE);
            const r = await apiRequest(target, 'GET', `${spec.path}/${encodeURIComponent(rest[0])}`);
            io.stdout(json ? `${JSON.stringify(r, null, 2)}\n` : fieldsOf(r));
            return EXIT.OK;
          }
          case 'create': {
            const body = spec.createBody(rest, values);
            const r = await apiRequest(target, 'POST', spec.path, body);
            if (json) io.stdout(`${JSON.stringify(r, null, 2)}\n`);
            else if (spec.afterCreate) spec.afterCreate(r, io);
            else io.stdout(fieldsOf(r));
            return EXIT.OK;
          }
          case 'delete': {
            if (rest.length !== 1) return fail(`delete needs exactly one <id>\n\n${usage}`, EXIT.USAGE);
            await apiRequest(target, 'DELETE', `${spec.path}/${encodeURIComponent(rest[0])}`);
            if (!json) io.stdout(`deleted ${rest[0]}\n`);
            return EXIT.OK;
          }
          default:
            return fail(`unknown action "${verb}"\n\n${usage}`, EXIT.USAGE);
        }
      } catch (err) {
        if (err instanceof CliApiError) return fail(err.message, err.status === undefined && /usage/.test(err.message) ? EXIT.USAGE : EXIT.FAILURE);
        throw err;
      }
    },
  };
}

/** Fixed-width columns; values that are objects print as compact JSON. */
export function table(columns: ResourceCommandSpec['columns'], items: Record<string, unknown>[]): string {
  const cell = (v: unknown): string => (v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const rows = [columns.map(([h]) => h), ...items.map((it) => columns.map(([, get]) => cell(get(it))))];
  const widths = columns.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n') + '\n';
}

/** `key: value` lines of one object, nested objects as JSON. */
export function fieldsOf(o: unknown): string {
  return Object.entries(o as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join('\n') + '\n';
}
