// A Store is an open database plus its repositories: what the server opens once at start,
// hands to the layers that persist things, and closes last on shutdown.
//
// Lifecycle: openDatabase() → migrate() → use → close(). Repositories fail ("no such table")
// until migrate() has run once; close() is idempotent and every query after it rejects.
import type { Kysely, Transaction } from 'kysely';
import { nullLogger, type Clock, type Logger } from '../lib/index.ts';
import { migrateToLatest } from './migrate.ts';
import { RegistrationRepository } from './registration-repository.ts';
import type { Schema } from './schema.ts';
import type { StoreDialect } from './dialect.ts';
import { OutboxRepository, type StoredEvent } from './outbox/index.ts';
import { tenancyRepositories, type TenancyRepositories } from './tenancy/index.ts';
import { IdempotencyRepository } from './idempotency/index.ts';
import { callRepositories, type CallRepositories } from './calls/index.ts';

export type { StoreDialect };

/** Every repository of the store. Later tables add theirs here. */
export interface Repositories {
  registrations: RegistrationRepository;
  /** The event outbox (migration 0003); appends inside transaction() are announced after COMMIT. */
  outbox: OutboxRepository;
  /** Applications, API keys, numbers, trunks, SIP users (migration 0002). */
  tenancy: TenancyRepositories;
  /** Request-idempotency records for the HTTP APIs (migration 0004). */
  idempotency: IdempotencyRepository;
  /** Calls, legs, operations, recordings, CDRs (migration 0005). */
  calls: CallRepositories;
}

/** Repositories bound to one transaction, plus the transaction for ad-hoc queries. */
export interface TransactionScope extends Repositories {
  db: Transaction<Schema>;
}

export interface Store extends Repositories {
  readonly db: Kysely<Schema>;
  readonly dialect: StoreDialect;
  /** Where the data lives: the SQLite file, or the PostgreSQL URL without its password. */
  readonly location: string;
  /** Applies pending migrations (idempotent; safe from several nodes at once). */
  migrate(): Promise<void>;
  /**
   * Runs fn in one transaction with repositories bound to it: everything commits together or
   * not at all (e.g. a state change and the outbox event it causes). Rejects → rolled back.
   */
  transaction<T>(fn: (tx: TransactionScope) => Promise<T>): Promise<T>;
  /** Closes every connection; idempotent. */
  close(): Promise<void>;
}

export interface StoreParts {
  db: Kysely<Schema>;
  dialect: StoreDialect;
  location: string;
  clock: Clock;
  logger?: Logger;
  /** Runs after Kysely is destroyed, to release what Kysely may not have opened itself. */
  afterClose?: () => void | Promise<void>;
}

/** The Store implementation; build it with openDatabase(). */
export class KyselyStore implements Store {
  readonly db: Kysely<Schema>;
  readonly dialect: StoreDialect;
  readonly location: string;
  readonly registrations: RegistrationRepository;
  readonly outbox: OutboxRepository;
  readonly tenancy: TenancyRepositories;
  readonly idempotency: IdempotencyRepository;
  readonly calls: CallRepositories;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly afterClose?: () => void | Promise<void>;
  private closing?: Promise<void>;

  constructor(parts: StoreParts) {
    this.db = parts.db;
    this.dialect = parts.dialect;
    this.location = parts.location;
    this.clock = parts.clock;
    this.logger = parts.logger ?? nullLogger;
    this.afterClose = parts.afterClose;
    this.registrations = new RegistrationRepository(this.db, { dialect: this.dialect, clock: this.clock });
    this.outbox = new OutboxRepository(this.db, { dialect: this.dialect, clock: this.clock });
    this.tenancy = tenancyRepositories(this.db);
    this.idempotency = new IdempotencyRepository(this.db);
    this.calls = callRepositories(this.db);
  }

  async migrate(): Promise<void> {
    await migrateToLatest(this.db, { logger: this.logger });
  }

  async transaction<T>(fn: (tx: TransactionScope) => Promise<T>): Promise<T> {
    // Events appended inside are announced only after COMMIT: a rolled-back event never happened.
    const committed: StoredEvent[] = [];
    const outbox = (trx: Transaction<Schema>): OutboxRepository =>
      new OutboxRepository(trx, { dialect: this.dialect, clock: this.clock, committedBuffer: committed, announcer: this.outbox });
    const result = await this.db.transaction().execute((trx) =>
      fn({
        db: trx, outbox: outbox(trx),
        registrations: new RegistrationRepository(trx, { dialect: this.dialect, clock: this.clock }),
        tenancy: tenancyRepositories(trx),
        idempotency: new IdempotencyRepository(trx),
        calls: callRepositories(trx),
      }),
    );
    this.outbox.announceCommitted(committed);
    return result;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.db.destroy();
      } finally {
        await this.afterClose?.();
      }
      this.logger.info({ dialect: this.dialect, location: this.location }, 'store closed');
    })();
    return this.closing;
  }
}
