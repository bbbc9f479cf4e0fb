// Durable SIP registrar bindings, so registrations survive a restart. Its methods mirror the
// registrar's BindingStore (src/sip/registrar/binding.ts) name for name and type for type, and
// the server passes it to the registrar as one; see registration-record.ts for why the record
// type is a copy. Rows keep the order the registrar gave (equal-q contacts are tried in
// registration order), and an AOR may hold one Contact URI twice (RFC 5626 §7: two flows).
//
// It never decides anything about SIP: which bindings are current, expired or out of order is
// the registrar's business. It only stores, atomically per AOR (RFC 3261 §10.3 step 7: the
// binding updates "MUST be committed … if and only if all binding updates and additions
// succeed").
import type { Insertable, Kysely, Selectable } from 'kysely';
import { systemClock, type Clock } from '../lib/index.ts';
import type { StoreDialect } from './dialect.ts';
import type { RegistrationRecord, RegistrationSource } from './registration-record.ts';
import { LOCK_SPACE, lockKey } from './row-lock.ts';
import type { RegistrationsTable, Schema } from './schema.ts';

type Row = Selectable<RegistrationsTable>;

/**
 * Rows per INSERT: 14 parameters each keeps a statement far below SQLite's 32,766 and
 * PostgreSQL's 65,535 bind-parameter limits. An AOR rarely has more than a handful.
 */
const INSERT_CHUNK = 500;

export interface RegistrationRepositoryOptions {
  /** The engine behind `db` (for per-AOR locking); required. */
  dialect: StoreDialect;
  /** Stamps `updated_at`; default systemClock. */
  clock?: Clock;
}

export class RegistrationRepository {
  private readonly clock: Clock;
  private readonly dialect: StoreDialect;

  /** `db` may be a Transaction: then every method runs inside it (see Store.transaction). */
  constructor(
    private readonly db: Kysely<Schema>,
    opts: RegistrationRepositoryOptions,
  ) {
    this.dialect = opts.dialect;
    this.clock = opts.clock ?? systemClock;
  }

  /** Bindings of an AOR in stored order, expired ones included (the registrar filters). */
  async get(aor: string): Promise<RegistrationRecord[]> {
    const rows = await this.db
      .selectFrom('registrations')
      .selectAll()
      .where('aor', '=', aor)
      .orderBy('position')
      .execute();
    return rows.map(fromRow);
  }

  /** Replaces every binding of the AOR in one transaction; an empty list deletes the AOR. */
  async put(aor: string, bindings: RegistrationRecord[]): Promise<void> {
    for (const b of bindings) {
      // The row is keyed by `aor`; a binding of another AOR would come back under this one.
      if (b.aor !== aor) throw new TypeError(`binding of AOR ${b.aor} put under AOR ${aor}`);
    }
    const now = this.clock.now();
    const rows = bindings.map((b, i) => toRow(b, i, now));
    await this.atomically(async (db) => {
      // Two nodes sharing PostgreSQL may put the same AOR at once: the later waits, then
      // replaces the earlier's rows whole (last writer wins) instead of failing on the key.
      await lockKey(db, this.dialect, LOCK_SPACE.registrations, aor);
      await db.deleteFrom('registrations').where('aor', '=', aor).execute();
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await db.insertInto('registrations').values(rows.slice(i, i + INSERT_CHUNK)).execute();
      }
    });
  }

  async remove(aor: string): Promise<void> {
    await this.db.deleteFrom('registrations').where('aor', '=', aor).execute();
  }

  /** Every binding, grouped by AOR, each AOR's in stored order. */
  async list(): Promise<RegistrationRecord[]> {
    const rows = await this.db.selectFrom('registrations').selectAll().orderBy('aor').orderBy('position').execute();
    return rows.map(fromRow);
  }

  /** Drops bindings with expiresAt <= now (the registrar keeps only expiresAt > now); returns how many. */
  async purgeExpired(now: number): Promise<number> {
    const r = await this.db.deleteFrom('registrations').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** Runs fn in a transaction, or in the caller's when this repository is bound to one. */
  private async atomically(fn: (db: Kysely<Schema>) => Promise<void>): Promise<void> {
    if (this.db.isTransaction) return fn(this.db);
    return this.db.transaction().execute(fn);
  }
}

function toRow(b: RegistrationRecord, position: number, now: number): Insertable<RegistrationsTable> {
  return {
    aor: b.aor,
    position,
    contact: b.contact,
    expires_at: b.expiresAt,
    call_id: b.callId,
    cseq: b.cseq,
    q: b.q ?? null,
    instance: b.instance ?? null,
    reg_id: b.regId ?? null,
    path: b.path === undefined ? null : JSON.stringify(b.path),
    params: b.params === undefined ? null : JSON.stringify(b.params),
    source: b.source === undefined ? null : JSON.stringify(b.source),
    user_agent: b.userAgent ?? null,
    updated_at: now,
  };
}

/** Absent optional fields stay absent (not `undefined`), as the registrar built them. */
function fromRow(r: Row): RegistrationRecord {
  const b: RegistrationRecord = {
    aor: r.aor,
    contact: r.contact,
    expiresAt: Number(r.expires_at),
    callId: r.call_id,
    cseq: Number(r.cseq),
  };
  if (r.q !== null) b.q = Number(r.q);
  if (r.instance !== null) b.instance = r.instance;
  if (r.reg_id !== null) b.regId = Number(r.reg_id);
  if (r.path !== null) b.path = parseJson<string[]>(r, 'path', r.path);
  if (r.source !== null) b.source = parseJson<RegistrationSource>(r, 'source', r.source);
  if (r.user_agent !== null) b.userAgent = r.user_agent;
  if (r.params !== null) b.params = parseJson<Record<string, string | null>>(r, 'params', r.params);
  return b;
}

function parseJson<T>(r: Row, column: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`registrations row (${r.aor}, ${r.position}): column ${column} is not JSON`, { cause: err });
  }
}
