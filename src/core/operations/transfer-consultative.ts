// transferConsultative (attended transfer, RFC 5589 §7): the application has the transferee's
// leg A (in this call) and a consultation leg C to the transfer target (in this call, or in
// another live call of the same application, e.g. one placed with createCall). We REFER A to
// C's peer with a Replaces header naming C's dialog (RFC 3891 §5), so A's peer calls C's peer
// and takes our place there; when the referee reports success (NOTIFY sipfrag 2xx) both of our
// legs are hung up with reason 'transferred'.
//
// ```
//   validate ─▶ both legs answered? ──no──▶ INVALID_STATE (nothing runs)
//                 │
//                 ▼
//   C.channel.replacesTarget() and useRefer ──none──────────────┐
//                 │                                             │
//                 ▼                                             ▼
//   REFER A ─▶ refused at the REFER (405/501/603: no transfers) ─▶ bridge A⇄C in our media,
//     │                                                          release nothing
//     ├─ NOTIFY 2xx ─▶ hang up A and C ('transferred')        method 'bridge'
//     │                method 'refer-replaces'
//     └─ NOTIFY ≥300 / no outcome in time ─▶ transfer.failed, legs stay as they were
// ```
//
// It never dials anything: both parties already exist. Events: transfer.accepted (with
// method) | transfer.failed (with operationContext).
import type { Call } from '../calls/call.ts';
import { CallError } from '../calls/call-error.ts';
import type { Leg } from '../calls/leg.ts';
import type { OperationContext, OperationDefinition } from './operation.ts';
import { SUBCODE, failure, success } from './operation-result.ts';
import { Check } from './validate.ts';

export interface ConsultativeTransferParams {
  /** The transferee's leg; default the call's primary leg. */
  legId?: string;
  /** The consultation leg: a leg of this call … */
  targetLegId?: string;
  /** … or the primary leg of another live call of the same application. Exactly one of the two. */
  targetCallId?: string;
  /** Default true: REFER with Replaces when possible; false = always bridge. */
  useRefer: boolean;
}

/** A leg that can take part: live, answered, not closed. */
function usable(leg: Leg | undefined): leg is Leg {
  return leg !== undefined && leg.live && !leg.closed && leg.state === 'answered';
}

function transferee(call: Call, legId: string | undefined): Leg {
  const leg = legId !== undefined ? call.legs.get(legId) : call.primaryLeg;
  if (!leg?.live) throw new CallError('LEG_NOT_FOUND', `no live leg ${legId ?? '(primary)'} in call ${call.id}`);
  if (leg.state !== 'answered') throw new CallError('INVALID_STATE', `leg ${leg.id} is not answered`);
  return leg;
}

function consultationLeg(ctx: OperationContext, p: ConsultativeTransferParams): Leg | undefined {
  if (p.targetLegId !== undefined) return ctx.call.legs.get(p.targetLegId);
  const other = ctx.env.liveCall?.(p.targetCallId!);
  return other?.primaryLeg;
}

/** Media-connects A and C (two-party bridge: when either hangs up, the other is hung up). */
async function bridge(a: Leg, c: Leg): Promise<void> {
  await Promise.all([a.media.stopAll().catch(() => {}), c.media.stopAll().catch(() => {})]);
  await a.media.connect(c.media);
  a.bridgedTo = c;
  c.bridgedTo = a;
}

export const transferConsultative: OperationDefinition<ConsultativeTransferParams> = {
  name: 'transferConsultative',
  eventPrefix: 'transfer',
  events: 'failures',
  validate(params, call) {
    const c = new Check(params);
    c.only(['legId', 'targetLegId', 'targetCallId', 'useRefer']);
    const legId = c.str('legId', { max: 100 });
    const targetLegId = c.str('targetLegId', { max: 100 });
    const targetCallId = c.str('targetCallId', { max: 100 });
    const useRefer = c.bool('useRefer', true);
    if ((targetLegId === undefined) === (targetCallId === undefined)) c.fail('targetLegId', 'give exactly one of targetLegId and targetCallId');
    if (targetCallId !== undefined && targetCallId === call.id) c.fail('targetCallId', 'is this call: use targetLegId');
    c.done();
    const a = transferee(call, legId);
    if (targetLegId !== undefined) {
      const t = call.legs.get(targetLegId);
      if (!t?.live) throw new CallError('LEG_NOT_FOUND', `no live leg ${targetLegId} in call ${call.id}`);
      if (t === a) throw new CallError('INVALID_STATE', 'the transferee and the consultation leg are the same leg');
      if (t.state !== 'answered') throw new CallError('INVALID_STATE', `consultation leg ${t.id} is not answered`);
    }
    return {
      useRefer,
      ...(legId !== undefined ? { legId } : {}),
      ...(targetLegId !== undefined ? { targetLegId } : {}),
      ...(targetCallId !== undefined ? { targetCallId } : {}),
    };
  },
  async start(ctx, p) {
    const a = transferee(ctx.call, p.legId);
    const c = consultationLeg(ctx, p);
    if (!usable(c)) {
      return failure(410, SUBCODE.CALL_ENDED, p.targetCallId !== undefined
        ? `consultation call ${p.targetCallId} has no answered leg (ended, not answered or not this application's)`
        : `consultation leg ${p.targetLegId} is not answered`);
    }
    const about = { legId: a.id, targetLegId: c.id, ...(p.targetCallId !== undefined ? { targetCallId: p.targetCallId } : {}), target: c.participant };
    const replaces = p.useRefer ? c.channel.replacesTarget?.() : undefined;
    if (replaces !== undefined) {
      const r = await a.channel.refer(replaces).catch(() => ({ accepted: false as const, stage: 'refer' as const, sipStatus: undefined }));
      if (r.accepted) {
        await ctx.emit('transfer.accepted', { ...about, method: 'refer-replaces' });
        // RFC 5589 §7: the transferee now talks to the target on its own dialog; both of ours go.
        void a.channel.hangup('transferred').catch(() => {});
        void c.channel.hangup('transferred').catch(() => {});
        return success({ method: 'refer-replaces', ...about });
      }
      // Checked after the outcome: a transferee that already moved must be released anyway.
      if (ctx.signal.aborted) return failure(499, SUBCODE.CANCELLED, 'cancelled');
      if (r.stage !== 'refer') {
        // The transferee took the REFER but reaching the target failed (or never said): nothing
        // was released, so the application still holds both legs and may retry or bridge.
        return failure(400, SUBCODE.PEER_REJECTED, `the transferee could not reach the target${r.sipStatus !== undefined ? ` (${r.sipStatus})` : ' (no NOTIFY in time)'}`,
          { ...about, method: 'refer-replaces', ...(r.sipStatus !== undefined ? { sipStatus: r.sipStatus } : {}) });
      }
    }
    if (!usable(a) || !usable(c)) return failure(410, SUBCODE.CALL_ENDED, 'a leg ended during the transfer');
    await bridge(a, c);
    await ctx.emit('transfer.accepted', { ...about, method: 'bridge' });
    return success({ method: 'bridge', ...about });
  },
};
