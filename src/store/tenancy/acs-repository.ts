// The ACS face's per-application rows: access keys (kept as issued — HMAC needs the key) and
// settings (the IncomingCall Event Grid URL).
import type { Kysely } from 'kysely';
import type { Schema } from '../schema.ts';

export interface AcsAccessKeyRecord {
  id: string;
  applicationId: string;
  /** base64 */
  key: string;
  createdAt: number;
  revokedAt: number | null;
}

export class AcsRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  async insertKey(k: AcsAccessKeyRecord): Promise<void> {
    await this.db.insertInto('acs_access_keys').values({
      id: k.id, application_id: k.applicationId, key: k.key, created_at: k.createdAt, revoked_at: k.revokedAt,
    }).execute();
  }

  /** An application's keys, oldest first, revoked ones included. */
  async listKeys(applicationId: string): Promise<AcsAccessKeyRecord[]> {
    const rows = await this.db.selectFrom('acs_access_keys').selectAll()
      .where('application_id', '=', applicationId).orderBy('created_at').orderBy('id').execute();
    return rows.map((r) => ({
      id: r.id, applicationId: r.application_id, key: r.key, createdAt: Number(r.created_at),
      revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
    }));
  }

  /** Every active key of every application (the face matches a signature against them). */
  async listAllActiveKeys(): Promise<{ applicationId: string; key: string }[]> {
    const rows = await this.db.selectFrom('acs_access_keys').select(['application_id', 'key']).where('revoked_at', 'is', null).execute();
    return rows.map((r) => ({ applicationId: r.application_id, key: r.key }));
  }

  /** true when the key was active. */
  async revokeKey(applicationId: string, id: string, at: number): Promise<boolean> {
    const r = await this.db.updateTable('acs_access_keys').set({ revoked_at: at })
      .where('id', '=', id).where('application_id', '=', applicationId).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async getIncomingCallUrl(applicationId: string): Promise<string | null> {
    const r = await this.db.selectFrom('acs_settings').select('incoming_call_url').where('application_id', '=', applicationId).executeTakeFirst();
    return r?.incoming_call_url ?? null;
  }

  async setIncomingCallUrl(applicationId: string, url: string | null, at: number): Promise<void> {
    await this.db.insertInto('acs_settings').values({ application_id: applicationId, incoming_call_url: url, updated_at: at })
      .onConflict((oc) => oc.column('application_id').doUpdateSet({ incoming_call_url: url, updated_at: at })).execute();
  }
}
