// Durable calls and their legs. Stores and reads only; the call and leg state machines live in
// core (src/core/calls). Callers write these in the same transaction as the events a change
// causes (Store.transaction), so the two never disagree.
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Schema } from '../schema.ts';
import { pageSize, parseJson } from './json-column.ts';
import type { CallPatch, CallRecord, JsonObject, LegPatch, LegRecord, NewLegRecord, TimePageQuery } from './records.ts';
import type { CallsTable, LegsTable } from './tables.ts';

export interface CallListQuery extends TimePageQuery {
  /** Only calls in one of these states; default any. */
  states?: readonly string[];
}

export class CallRepository {
  /** `db` may be a Transaction: then every method runs inside it (see Store.transaction). */
  constructor(private readonly db: Kysely<Schema>) {}

  async insert(c: CallRecord): Promise<void> {
    await this.db.insertInto('calls').values(callRow(c)).execute();
  }

  async get(id: string): Promise<CallRecord | undefined> {
    const r = await this.db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirst();
    return r && fromCallRow(r);
  }

  /** Returns false when there is no such call. */
  async update(id: string, patch: CallPatch): Promise<boolean> {
    const r = await this.db.updateTable('calls').set(patchSet(patch)).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Oldest first by creation time (ties by id), one page. */
  async list(q: CallListQuery = {}): Promise<CallRecord[]> {
    let s = this.db.selectFrom('calls').selectAll();
    if (q.applicationId !== undefined) s = s.where('application_id', '=', q.applicationId);
    if (q.since !== undefined) s = s.where('created_at', '>=', q.since);
    if (q.until !== undefined) s = s.where('created_at', '<', q.until);
    if (q.states?.length) s = s.where('state', 'in', [...q.states]);
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
    return rows.map(fromCallRow);
  }

  /** `muted` / `onHold` default to false. */
  async insertLeg(l: NewLegRecord): Promise<void> {
    await this.db.insertInto('legs').values(legRow(l)).execute();
  }

  async updateLeg(id: string, patch: LegPatch): Promise<boolean> {
    const set = patchSet(patch);
    if (patch.participant !== undefined) set.participant = JSON.stringify(patch.participant);
    if (patch.muted !== undefined) set.muted = patch.muted ? 1 : 0;
    if (patch.onHold !== undefined) set.on_hold = patch.onHold ? 1 : 0;
    const r = await this.db.updateTable('legs').set(set).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** A call's legs in the order they were created. */
  async legs(callId: string): Promise<LegRecord[]> {
    const rows = await this.db.selectFrom('legs').selectAll().where('call_id', '=', callId).orderBy('created_at').orderBy('id').execute();
    return rows.map(fromLegRow);
  }
}

function patchSet(p: CallPatch): Updateable<CallsTable> & Updateable<LegsTable> {
  const set: Updateable<CallsTable> = { updated_at: p.updatedAt };
  if (p.state !== undefined) set.state = p.state;
  if (p.ringingAt !== undefined) set.ringing_at = p.ringingAt;
  if (p.answeredAt !== undefined) set.answered_at = p.answeredAt;
  if (p.endedAt !== undefined) set.ended_at = p.endedAt;
  if (p.endReason !== undefined) set.end_reason = p.endReason;
  if (p.endedBy !== undefined) set.ended_by = p.endedBy;
  if (p.sipStatus !== undefined) set.sip_status = p.sipStatus;
  return set;
}

function callRow(c: CallRecord): Insertable<CallsTable> {
  return {
    id: c.id, application_id: c.applicationId, direction: c.direction, state: c.state,
    from_party: JSON.stringify(c.from), to_party: JSON.stringify(c.to), callback_url: c.callbackUrl,
    created_at: c.createdAt, ringing_at: c.ringingAt, answered_at: c.answeredAt, ended_at: c.endedAt,
    end_reason: c.endReason, ended_by: c.endedBy, sip_status: c.sipStatus, updated_at: c.updatedAt,
  };
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

function fromCallRow(r: Selectable<CallsTable>): CallRecord {
  return {
    id: r.id, applicationId: r.application_id, direction: r.direction, state: r.state,
    from: parseJson<JsonObject>('calls', r.id, 'from_party', r.from_party),
    to: parseJson<JsonObject>('calls', r.id, 'to_party', r.to_party),
    callbackUrl: r.callback_url, createdAt: Number(r.created_at), ringingAt: num(r.ringing_at),
    answeredAt: num(r.answered_at), endedAt: num(r.ended_at), endReason: r.end_reason, endedBy: r.ended_by,
    sipStatus: num(r.sip_status), updatedAt: Number(r.updated_at),
  };
}

function legRow(l: NewLegRecord): Insertable<LegsTable> {
  return {
    id: l.id, call_id: l.callId, application_id: l.applicationId, participant: JSON.stringify(l.participant),
    role: l.role, direction: l.direction, state: l.state, created_at: l.createdAt, ringing_at: l.ringingAt,
    answered_at: l.answeredAt, ended_at: l.endedAt, end_reason: l.endReason, ended_by: l.endedBy,
    sip_status: l.sipStatus, updated_at: l.updatedAt, muted: l.muted === true ? 1 : 0, on_hold: l.onHold === true ? 1 : 0,
  };
}

function fromLegRow(r: Selectable<LegsTable>): LegRecord {
  return {
    id: r.id, callId: r.call_id, applicationId: r.application_id,
    participant: parseJson<JsonObject>('legs', r.id, 'participant', r.participant),
    role: r.role, direction: r.direction, state: r.state, createdAt: Number(r.created_at),
    ringingAt: num(r.ringing_at), answeredAt: num(r.answered_at), endedAt: num(r.ended_at),
    endReason: r.end_reason, endedBy: r.ended_by, sipStatus: num(r.sip_status), updatedAt: Number(r.updated_at),
    // 0/1 integers (the portable boolean); Number() in case a driver hands back a string.
    muted: Number(r.muted) === 1, onHold: Number(r.on_hold) === 1,
  };
}
