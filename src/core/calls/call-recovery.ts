// Closing calls that a previous run of this node left open. A live call exists in memory
// only (its SIP dialog, its media); after a crash (kill -9, OOM, power loss) its row still
// says 'established' (or 'ringing' …) and nobody will ever end it. At start, before the node
// takes new calls, every such call is ended the way Call.runEnd would have ended it — in ONE
// transaction per call: state ended, end reason 'node-restart' by 'system', the legs still
// open ended likewise, the call and leg CDRs written, and call.ended appended to the outbox —
// so no CDR and no final event is lost, only late.
//
// The end time is the last thing we know of the call: the latest updatedAt of the call and its
// legs (we cannot know how long the peer stayed on the line after the crash). Talk time is
// counted up to it. Media quality is unknown (no stats survive the process), TTS usage is
// not persisted per call (recorded as zeros), recordings still 'recording' are left as they
// are (PARTIAL: the file may be truncated; see docs/calls.md).
//
// call.ended goes where the call's latest event went (same URL and face format), else to the
// call's or the application's callback URL in the native format.
//
// SINGLE NODE ONLY: it closes every non-ended call in the store. Nodes sharing one
// PostgreSQL need leases (a survivor closes a dead node's calls, ARCHITECTURE.md) — not built.
import type { Logger } from '../../lib/index.ts';
import type { CallRecord, CdrRecord, DeliveryTarget, LegRecord, Store } from '../../store/index.ts';
import type { CallCdr, LegCdr } from '../cdr/cdr.ts';
import type { Participant } from '../ports/index.ts';
import { callEvent } from './call-journal.ts';

/** The end reason written on calls closed at start. */
export const NODE_RESTART_REASON = 'node-restart';

const OPEN_STATES = ['incoming', 'dialing', 'ringing', 'established', 'ending'] as const;
/** Calls closed per query; the loop re-reads until none is left. */
const PAGE = 200;

export interface CallRecoveryDeps {
  store: Store;
  logger: Logger;
  /** Time the records are marked updated (now). */
  now: () => number;
}

export interface CallRecoveryReport {
  /** Ids of the calls that were closed. */
  closed: string[];
}

/** Closes every call left open by a previous run; resolves with what it closed. */
export async function closeInterruptedCalls(deps: CallRecoveryDeps): Promise<CallRecoveryReport> {
  const closed: string[] = [];
  const failed = new Set<string>();
  for (;;) {
    const page = (await deps.store.calls.calls.list({ states: OPEN_STATES, limit: PAGE })).filter((c) => !failed.has(c.id));
    if (page.length === 0) break;
    for (const call of page) {
      try {
        await closeOne(deps, call);
        closed.push(call.id);
      } catch (err) {
        // One bad row must not keep the node down or loop forever; it stays open and logged.
        failed.add(call.id);
        deps.logger.error({ err, callId: call.id }, 'could not close a call left open by the previous run');
      }
    }
    if (page.length < PAGE && failed.size === 0) break;
  }
  if (closed.length > 0) deps.logger.warn({ calls: closed.length }, 'closed calls left open by the previous run (node-restart)');
  return { closed };
}

async function closeOne(deps: CallRecoveryDeps, call: CallRecord): Promise<void> {
  const { store } = deps;
  const legs = await store.calls.calls.legs(call.id);
  const endedAt = Math.max(call.updatedAt, call.answeredAt ?? 0, ...legs.map((l) => Math.max(l.updatedAt, l.endedAt ?? 0)));
  const now = deps.now();
  const by = 'system';
  const reason = NODE_RESTART_REASON;
  const recordings = await store.calls.recordings.listByCall(call.id);
  const targets = await targetsOf(store, call);
  const legRows: CdrRecord[] = legs.map((l) => legCdr(call, l, endedAt));
  const callCdr: CallCdr = {
    kind: 'call', callId: call.id, applicationId: call.applicationId, direction: call.direction as CallCdr['direction'],
    from: call.from as unknown as Participant, to: call.to as unknown as Participant, startedAt: call.createdAt,
    ...(call.ringingAt !== null ? { ringingAt: call.ringingAt } : {}),
    ...(call.answeredAt !== null ? { answeredAt: call.answeredAt } : {}),
    endedAt, talkMs: call.answeredAt === null ? 0 : Math.max(0, endedAt - call.answeredAt),
    endReason: reason, endedBy: by, ...(call.sipStatus !== null ? { sipStatus: call.sipStatus } : {}),
    legIds: legs.map((l) => l.id), recordingIds: recordings.map((r) => r.id),
    tts: { requests: 0, characters: 0, cachedHits: 0 },
  };
  const cdrs: CdrRecord[] = [{
    id: call.id, applicationId: call.applicationId, callId: call.id, legId: null, kind: 'call',
    startedAt: call.createdAt, endedAt, record: { ...callCdr } as unknown as CdrRecord['record'],
  }, ...legRows];
  const event = callEvent(call.applicationId, call.id, now, 'call.ended', {
    reason, by, ...(call.sipStatus !== null ? { sipStatus: call.sipStatus } : {}),
    durationMs: callCdr.talkMs,
  });
  await store.transaction(async (tx) => {
    for (const l of legs) {
      if (l.state !== 'ended') await tx.calls.calls.updateLeg(l.id, { state: 'ended', endedAt, endReason: reason, endedBy: by, updatedAt: now });
    }
    await tx.calls.calls.update(call.id, { state: 'ended', endedAt, endReason: reason, endedBy: by, updatedAt: now });
    await tx.calls.cdrs.insertMany(cdrs);
    await tx.outbox.append(event, targets);
  });
}

function legCdr(call: CallRecord, l: LegRecord, callEnd: number): CdrRecord {
  const open = l.state !== 'ended';
  const end = open ? callEnd : (l.endedAt ?? callEnd);
  const rec: LegCdr = {
    kind: 'leg', legId: l.id, callId: call.id, applicationId: call.applicationId,
    participant: l.participant as unknown as Participant, role: l.role, direction: l.direction as LegCdr['direction'],
    startedAt: l.createdAt,
    ...(l.ringingAt !== null ? { ringingAt: l.ringingAt } : {}),
    ...(l.answeredAt !== null ? { answeredAt: l.answeredAt } : {}),
    endedAt: end, talkMs: l.answeredAt === null ? 0 : Math.max(0, end - l.answeredAt),
    endReason: open ? NODE_RESTART_REASON : (l.endReason ?? NODE_RESTART_REASON),
    endedBy: open ? 'system' : (l.endedBy ?? 'system'),
    ...(l.sipStatus !== null ? { sipStatus: l.sipStatus } : {}),
  };
  return {
    id: l.id, applicationId: call.applicationId, callId: call.id, legId: l.id, kind: 'leg',
    startedAt: l.createdAt, endedAt: end, record: { ...rec } as unknown as CdrRecord['record'],
  };
}

async function targetsOf(store: Store, call: CallRecord): Promise<DeliveryTarget[]> {
  const last = await store.outbox.lastTargetsOfCall(call.id);
  if (last.length > 0) return last;
  const url = call.callbackUrl ?? (await store.tenancy.applications.get(call.applicationId))?.callbackUrl ?? null;
  return url ? [{ url }] : [];
}
