// The state of each trunk's REGISTER binding at its carrier (migration 0008): written by the
// node that runs the registration (server/trunk-registrations.ts), read with the trunk by the
// tenancy services so GET /v1/trunks/{id} shows it. One row per trunk; deleting the trunk
// deletes the row (foreign key, cascade).
import type { Kysely, Selectable } from 'kysely';
import type { Schema } from '../schema.ts';

/** Columns of `trunk_registrations`. */
export interface TrunkRegistrationsTable {
  trunk_id: string;
  state: string;
  last_status: number | null;
  last_error: string | null;
  registered_at: number | null;
  expires_at: number | null;
  updated_at: number;
}

/** 'registering' (first attempt or refresh under way), 'registered', 'failed' (retrying with backoff). */
export type TrunkRegistrationState = 'registering' | 'registered' | 'failed';

export interface TrunkRegistrationRecord {
  trunkId: string;
  state: TrunkRegistrationState;
  /** SIP status of the last failed attempt (503 also for a transport error or timeout). */
  lastStatus: number | null;
  /** Why the last attempt failed; null after a success. */
  lastError: string | null;
  /** When the carrier last accepted the binding, ms since the epoch. */
  registeredAt: number | null;
  /** When the binding the carrier granted runs out, ms since the epoch. */
  expiresAt: number | null;
  updatedAt: number;
}

export class TrunkRegistrationRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  /**
   * Insert or replace the trunk's row. A trunk deleted meanwhile makes this a no-op: the
   * registration loop of a just-deleted trunk may still report once. Checking first is not
   * enough (the delete can commit between the check and the write, or while the write waits
   * for the trunk row's lock), so the foreign key's refusal is the answer, on both engines.
   */
  async put(r: TrunkRegistrationRecord): Promise<void> {
    const row = {
      trunk_id: r.trunkId, state: r.state, last_status: r.lastStatus, last_error: r.lastError,
      registered_at: r.registeredAt, expires_at: r.expiresAt, updated_at: r.updatedAt,
    };
    try {
      await this.db.insertInto('trunk_registrations').values(row)
        .onConflict((oc) => oc.column('trunk_id').doUpdateSet({
          state: row.state, last_status: row.last_status, last_error: row.last_error,
          registered_at: row.registered_at, expires_at: row.expires_at, updated_at: row.updated_at,
        }))
        .execute();
    } catch (err) {
      if (!isForeignKeyViolation(err)) throw err;
    }
  }

  async get(trunkId: string): Promise<TrunkRegistrationRecord | undefined> {
    const r = await this.db.selectFrom('trunk_registrations').selectAll().where('trunk_id', '=', trunkId).executeTakeFirst();
    return r && fromRow(r);
  }

  async list(): Promise<TrunkRegistrationRecord[]> {
    const rows = await this.db.selectFrom('trunk_registrations').selectAll().orderBy('trunk_id').execute();
    return rows.map(fromRow);
  }

  async delete(trunkId: string): Promise<void> {
    await this.db.deleteFrom('trunk_registrations').where('trunk_id', '=', trunkId).execute();
  }
}

function fromRow(r: Selectable<TrunkRegistrationsTable>): TrunkRegistrationRecord {
  return {
    trunkId: r.trunk_id,
    state: r.state as TrunkRegistrationState,
    lastStatus: r.last_status === null ? null : Number(r.last_status),
    lastError: r.last_error,
    registeredAt: r.registered_at === null ? null : Number(r.registered_at),
    expiresAt: r.expires_at === null ? null : Number(r.expires_at),
    updatedAt: Number(r.updated_at),
  };
}

/** better-sqlite3: SQLITE_CONSTRAINT_FOREIGNKEY; pg: SQLSTATE 23503 foreign_key_violation. */
function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503';
}
