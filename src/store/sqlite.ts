// The SQLite side of the store: one file, <dataDir>/switchboard.db, opened with better-sqlite3
// and tuned for a server that writes from one process. better-sqlite3 is synchronous, so a
// query blocks the event loop while it runs; the store keeps statements small (indexed,
// per-AOR) to keep that to microseconds. Databases that need more go to PostgreSQL.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteAdapter, SqliteDialect, type DialectAdapter } from 'kysely';
import type { Logger } from '../lib/index.ts';

/** The database file inside the data directory. */
export const SQLITE_FILE = 'switchboard.db';

export interface SqliteOptions {
  dataDir: string;
  /** How long a writer waits for another connection's lock before SQLITE_BUSY; default 5000 ms. */
  busyTimeoutMs?: number;
  logger: Logger;
}

export interface OpenedSqlite {
  dialect: SqliteDialect;
  file: string;
  /**
   * Closes the file if still open (Kysely closes it only if it ever ran a query) and lets this
   * process open it again. Call after Kysely's destroy().
   */
  release(): void;
}

/**
 * SQLite runs DDL inside transactions, but Kysely's adapter says it cannot (so that migrations
 * may toggle PRAGMA foreign_keys, which is a no-op inside one). We want a failed migration
 * rolled back whole, as on PostgreSQL, so we claim it; migrations that rebuild a table use
 * PRAGMA defer_foreign_keys instead (see docs/store.md).
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class SwitchboardSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/**
 * Files this process has open. better-sqlite3 is synchronous: a second connection in the same
 * process that waits for the first one's write lock sleeps on the event loop the first one
 * needs to commit, so both stall for busy_timeout and one fails with SQLITE_BUSY. Share the
 * Store instead. (Other processes are fine: they wait while this one runs.)
 */
const openFiles = new Set<string>();

export function openSqlite(opts: SqliteOptions): OpenedSqlite {
  // The server creates it 0700 too; a library caller (tests, CLI tools) may not have.
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const file = resolve(join(opts.dataDir, SQLITE_FILE));
  if (openFiles.has(file)) {
    throw new Error(`SQLite database ${file} is already open in this process; share its Store instead of opening it twice`);
  }
  const database = new Database(file, { timeout: opts.busyTimeoutMs ?? 5000 });
  try {
    // WAL: readers never block the writer and a crash loses nothing committed.
    const mode = database.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal') {
      // Some filesystems (network mounts) cannot share memory for the WAL index.
      opts.logger.warn({ file, journalMode: mode }, 'SQLite could not switch to WAL; running in its default mode');
    }
    database.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
    // Off by default in SQLite for compatibility; later tables rely on REFERENCES being enforced.
    database.pragma('foreign_keys = ON');
    // In WAL mode NORMAL is still crash-safe for the database; only the last commits before
    // a power cut (not a process crash) can be lost, which is the usual server trade-off.
    database.pragma('synchronous = NORMAL');
  } catch (err) {
    database.close();
    throw err;
  }
  openFiles.add(file);
  return {
    dialect: new SwitchboardSqliteDialect({ database }),
    file,
    release() {
      if (database.open) database.close();
      openFiles.delete(file);
    },
  };
}
