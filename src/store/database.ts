// Opens the store: SQLite in the data directory by default, PostgreSQL when a URL is given
// (the server passes DATABASE_URL). It resolves only once the database has answered a query,
// so a wrong URL or an unwritable data directory fails the start, not the first REGISTER.
import { Kysely, sql } from 'kysely';
import { nullLogger, systemClock, type Clock, type Logger } from '../lib/index.ts';
import { describePostgresUrl, isPostgresUrl, openPostgres } from './postgres.ts';
import type { Schema } from './schema.ts';
import { openSqlite } from './sqlite.ts';
import { KyselyStore, type Store } from './store.ts';

export interface OpenDatabaseOptions {
  /** PostgreSQL URL (postgres:// or postgresql://); default unset = SQLite in dataDir. */
  url?: string;
  /** Directory of the SQLite file <dataDir>/switchboard.db; created 0700 if missing. Required. */
  dataDir: string;
  /** Default: nullLogger. */
  logger?: Logger;
  /** Stamps updated_at columns; default systemClock. */
  clock?: Clock;
  /** SQLite: wait for a locked database this long before failing; default 5000 ms. */
  busyTimeoutMs?: number;
  /** PostgreSQL: most pooled connections; default 10. */
  poolSize?: number;
  /** PostgreSQL: wait this long for a connection; default 10000 ms. */
  connectTimeoutMs?: number;
}

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Store> {
  const logger = opts.logger ?? nullLogger;
  const clock = opts.clock ?? systemClock;
  const url = opts.url?.trim() || undefined;

  if (url === undefined) {
    const sqlite = openSqlite({ dataDir: opts.dataDir, busyTimeoutMs: opts.busyTimeoutMs, logger });
    const store = new KyselyStore({
      db: new Kysely<Schema>({ dialect: sqlite.dialect }),
      dialect: 'sqlite',
      location: sqlite.file,
      clock,
      logger,
      afterClose: () => sqlite.release(),
    });
    logger.info({ dialect: 'sqlite', location: sqlite.file }, 'store opened');
    return store;
  }

  if (!isPostgresUrl(url)) {
    // Never echo the URL: it may carry a password.
    throw new Error('DATABASE_URL must be a postgres:// or postgresql:// URL (unset it to use SQLite)');
  }
  const location = describePostgresUrl(url);
  const pg = openPostgres({ url, poolSize: opts.poolSize, connectTimeoutMs: opts.connectTimeoutMs, logger });
  const store = new KyselyStore({
    db: new Kysely<Schema>({ dialect: pg.dialect }),
    dialect: 'postgres',
    location,
    clock,
    logger,
  });
  try {
    await sql`select 1`.execute(store.db);
  } catch (err) {
    await store.close().catch(() => {});
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot connect to PostgreSQL at ${location}: ${why}`, { cause: err });
  }
  logger.info({ dialect: 'postgres', location }, 'store opened');
  return store;
}
