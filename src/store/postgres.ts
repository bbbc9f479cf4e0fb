// The PostgreSQL side of the store: a pg Pool behind Kysely's PostgresDialect, for nodes that
// share one database (clustering) or outgrow SQLite.
import pg from 'pg';
import { PostgresDialect } from 'kysely';
import type { Logger } from '../lib/index.ts';

export interface PostgresOptions {
  /** postgres:// or postgresql:// URL (libpq style, as in DATABASE_URL). */
  url: string;
  /** Most connections the pool opens; default 10. */
  poolSize?: number;
  /** How long to wait for a connection before failing a query; default 10000 ms. */
  connectTimeoutMs?: number;
  logger: Logger;
}

export interface OpenedPostgres {
  dialect: PostgresDialect;
  pool: pg.Pool;
}

const INT8 = pg.types.builtins.INT8;

/**
 * bigint columns (ms timestamps, counters) come back as JS numbers, like SQLite's do, instead
 * of pg's default strings. A value a number cannot hold exactly is an error, never a silent
 * rounding. The parser is per pool, so other pg users in the process are unaffected.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8 && (format === undefined || format === 'text')) return parseInt8;
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${text} does not fit a JS number`);
  return n;
}

/** Where a URL points, without its password (for logs and errors). */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'postgres://<unparsable URL>';
  }
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

export function openPostgres(opts: PostgresOptions): OpenedPostgres {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    types,
  });
  // An idle client that loses its server (restart, failover) emits here; unhandled, it would
  // crash the process. The pool drops that client and the next query opens a fresh one.
  pool.on('error', (err) => opts.logger.warn({ err, db: describePostgresUrl(opts.url) }, 'PostgreSQL idle connection failed'));
  return { dialect: new PostgresDialect({ pool }), pool };
}
