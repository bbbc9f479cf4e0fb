// Durable call detail records: one per call and one per leg, written once when the call ends
// (in the same transaction as the call.ended event) and never changed afterwards.
import type { Kysely, Selectable } from 'kysely';
import type { Schema } from '../schema.ts';
import { pageSize, parseJson } from './json-column.ts';
import type { CdrRecord, JsonObject, TimePageQuery } from './records.ts';
import type { CdrsTable } from './tables.ts';

export interface CdrQuery extends TimePageQuery {
  /** 'call' | 'leg'; default both. */
  kind?: 'call' | 'leg';
  /** Only this call's records. */
  callId?: string;
}

export class CdrRepository {
  /** `db` may be a Transaction: then every method runs inside it (see Store.transaction). */
  constructor(private readonly db: Kysely<Schema>) {}

  async insertMany(rows: readonly CdrRecord[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.insertInto('cdrs').values(rows.map((c) => ({
      id: c.id, application_id: c.applicationId, call_id: c.callId, leg_id: c.legId, kind: c.kind,
      started_at: c.startedAt, ended_at: c.endedAt, record: JSON.stringify(c.record),
    }))).execute();
  }

  async get(id: string): Promise<CdrRecord | undefined> {
    const r = await this.db.selectFrom('cdrs').selectAll().where('id', '=', id).executeTakeFirst();
    return r && fromRow(r);
  }

  /** Oldest first by start time (ties by id), one page; `afterId` continues a previous page. */
  async list(q: CdrQuery = {}): Promise<CdrRecord[]> {
    let s = this.db.selectFrom('cdrs').selectAll();
    if (q.applicationId !== undefined) s = s.where('application_id', '=', q.applicationId);
    if (q.callId !== undefined) s = s.where('call_id', '=', q.callId);
    if (q.kind !== undefined) s = s.where('kind', '=', q.kind);
    if (q.since !== undefined) s = s.where('started_at', '>=', q.since);
    if (q.until !== undefined) s = s.where('started_at', '<', q.until);
    if (q.afterId !== undefined) {
      const after = await this.get(q.afterId);
      if (after) {
        s = s.where((eb) => eb.or([
          eb('started_at', '>', after.startedAt),
          eb.and([eb('started_at', '=', after.startedAt), eb('id', '>', after.id)]),
        ]));
      }
    }
    const rows = await s.orderBy('started_at').orderBy('id').limit(pageSize(q.limit)).execute();
    return rows.map(fromRow);
  }
}

function fromRow(r: Selectable<CdrsTable>): CdrRecord {
  return {
    id: r.id, applicationId: r.application_id, callId: r.call_id, legId: r.leg_id,
    kind: r.kind === 'leg' ? 'leg' : 'call', startedAt: Number(r.started_at), endedAt: Number(r.ended_at),
    record: parseJson<JsonObject>('cdrs', r.id, 'record', r.record),
  };
}
