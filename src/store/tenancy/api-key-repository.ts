// API keys of applications, as SHA-256 hashes. The key itself is never stored: it is shown
// once when issued. Lookup is by hash (indexed, unique), so authenticating costs one query.
import type { Kysely, Selectable } from 'kysely';
import type { Schema } from '../schema.ts';
import type { ApiKeyRecord, ApiKeySource } from './records.ts';
import type { ApiKeysTable } from './tables.ts';
import { mapUnique } from './unique-violation.ts';

type Row = Selectable<ApiKeysTable>;

export class ApiKeyRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  /** Throws UniqueViolationError('api_keys') when the hash (the same key) exists. */
  async insert(k: ApiKeyRecord): Promise<void> {
    await mapUnique('api_keys', () => this.db.insertInto('api_keys').values({
      id: k.id,
      application_id: k.applicationId,
      hash: k.hash,
      prefix: k.prefix,
      source: k.source,
      created_at: k.createdAt,
      revoked_at: k.revokedAt,
    }).execute());
  }

  /** The key with this hash, revoked or not. */
  async findByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const r = await this.db.selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
    return r && fromRow(r);
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const r = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return r && fromRow(r);
  }

  /** An application's keys, oldest first, revoked ones included. */
  async listByApplication(applicationId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.db.selectFrom('api_keys').selectAll()
      .where('application_id', '=', applicationId).orderBy('created_at').orderBy('id').execute();
    return rows.map(fromRow);
  }

  /** Marks a key revoked at `at` (a revoked key stays revoked); true when it was active. */
  async revoke(id: string, at: number): Promise<boolean> {
    const r = await this.db.updateTable('api_keys').set({ revoked_at: at })
      .where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Brings a revoked key back (a config file lists it again); true when it changed. */
  async unrevoke(id: string): Promise<boolean> {
    const r = await this.db.updateTable('api_keys').set({ revoked_at: null })
      .where('id', '=', id).where('revoked_at', 'is not', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}

function fromRow(r: Row): ApiKeyRecord {
  return {
    id: r.id,
    applicationId: r.application_id,
    hash: r.hash,
    prefix: r.prefix,
    source: r.source as ApiKeySource,
    createdAt: Number(r.created_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  };
}
