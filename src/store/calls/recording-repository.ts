// Durable recording metadata (the audio itself is a file or a bucket object, never a row).
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Schema } from '../schema.ts';
import { pageSize } from './json-column.ts';
import type { RecordingPatch, RecordingRecord, TimePageQuery } from './records.ts';
import type { RecordingsTable } from './tables.ts';

export class RecordingRepository {
  /** `db` may be a Transaction: then every method runs inside it (see Store.transaction). */
  constructor(private readonly db: Kysely<Schema>) {}

  async insert(r: RecordingRecord): Promise<void> {
    await this.db.insertInto('recordings').values({
      id: r.id, call_id: r.callId, application_id: r.applicationId, path: r.path, format: r.format,
      channels: r.channels, duration_ms: r.durationMs, size_bytes: r.sizeBytes, state: r.state,
      access_token_hash: r.accessTokenHash, created_at: r.createdAt, updated_at: r.updatedAt,
    }).execute();
  }

  async get(id: string): Promise<RecordingRecord | undefined> {
    const r = await this.db.selectFrom('recordings').selectAll().where('id', '=', id).executeTakeFirst();
    return r && fromRow(r);
  }

  async update(id: string, p: RecordingPatch): Promise<boolean> {
    const set: Updateable<RecordingsTable> = { updated_at: p.updatedAt };
    if (p.state !== undefined) set.state = p.state;
    if (p.durationMs !== undefined) set.duration_ms = p.durationMs;
    if (p.sizeBytes !== undefined) set.size_bytes = p.sizeBytes;
    if (p.accessTokenHash !== undefined) set.access_token_hash = p.accessTokenHash;
    const r = await this.db.updateTable('recordings').set(set).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async listByCall(callId: string): Promise<RecordingRecord[]> {
    const rows = await this.db.selectFrom('recordings').selectAll().where('call_id', '=', callId).orderBy('created_at').orderBy('id').execute();
    return rows.map(fromRow);
  }

  /** Oldest first by creation time, one page. */
  async list(q: TimePageQuery = {}): Promise<RecordingRecord[]> {
    let s = this.db.selectFrom('recordings').selectAll();
    if (q.applicationId !== undefined) s = s.where('application_id', '=', q.applicationId);
    if (q.since !== undefined) s = s.where('created_at', '>=', q.since);
    if (q.until !== undefined) s = s.where('created_at', '<', q.until);
    if (q.afterId !== undefined) {
      const after = await this.get(q.afterId);
      if (after) {
        s = s.where((eb) => eb.or([
          eb('created_at', '>', after.createdAt),
          eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)]),
        ]));
      }
    }
    const rows = await s.orderBy('created_at').orderBy('id').limit(pageSize(q.limit)).execute();
    return rows.map(fromRow);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('recordings').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

function fromRow(r: Selectable<RecordingsTable>): RecordingRecord {
  return {
    id: r.id, callId: r.call_id, applicationId: r.application_id, path: r.path, format: r.format,
    channels: Number(r.channels), durationMs: num(r.duration_ms), sizeBytes: num(r.size_bytes), state: r.state,
    accessTokenHash: r.access_token_hash, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
  };
}
