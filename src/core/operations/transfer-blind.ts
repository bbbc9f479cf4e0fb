// transferBlind: hands a leg (default the primary) to another party. First REFER to the peer
// (RFC 3515); when the peer accepts, our part is done and the leg is hung up (reason
// 'transferred'). When the peer refuses or cannot (or useRefer is false), a new outbound leg
// is dialed and bridged to it (two-party bridge: when either hangs up, the other is hung up).
// Events: transfer.accepted | transfer.failed (with operationContext).
import type { Participant } from '../ports/index.ts';
import { participantKey } from '../ports/index.ts';
import { waitForAnswer } from './dial.ts';
import type { OperationDefinition } from './operation.ts';
import { SUBCODE, failure, success } from './operation-result.ts';
import { targetLegs } from './media.ts';
import { Check } from './validate.ts';

export interface TransferParams {
  target: Participant;
  /** Default true. */
  useRefer: boolean;
  /** Default 60000 ms, for the bridged fallback. */
  ringTimeoutMs: number;
  legId?: string;
}

function referUri(p: Participant): string | undefined {
  if (p.kind === 'phone') return `tel:${p.number}`;
  if (p.kind === 'sip') return participantKey(p);
  return undefined;
}

export const transferBlind: OperationDefinition<TransferParams> = {
  name: 'transferBlind',
  eventPrefix: 'transfer',
  events: 'failures',
  validate(params) {
    const c = new Check(params);
    c.only(['target', 'useRefer', 'ringTimeoutMs', 'legId']);
    const target = c.participant('target', true);
    const useRefer = c.bool('useRefer', true);
    const ringTimeoutMs = c.int('ringTimeoutMs', 60_000, 1000, 300_000);
    const legId = c.str('legId');
    c.done();
    return { target: target!, useRefer, ringTimeoutMs, ...(legId !== undefined ? { legId } : {}) };
  },
  async start(ctx, p) {
    const [leg] = targetLegs(ctx, p.legId, false);
    const uri = referUri(p.target);
    if (p.useRefer && uri) {
      const r = await leg.channel.refer(uri).catch(() => ({ accepted: false as const, sipStatus: undefined }));
      if (r.accepted) {
        await ctx.emit('transfer.accepted', { legId: leg.id, target: p.target, method: 'refer' });
        void leg.channel.hangup('transferred').catch(() => {});
        return success({ method: 'refer' });
      }
    }
    const other = await ctx.env.dialLeg(ctx.call, p.target, { role: 'transfer-target', ringTimeoutMs: p.ringTimeoutMs });
    const w = await waitForAnswer(other, ctx.env.clock, p.ringTimeoutMs, ctx.signal);
    if (!w.answered) return failure(400, w.hangup.reason === 'no-answer' ? SUBCODE.NO_ANSWER : SUBCODE.PEER_REJECTED, `transfer target did not answer: ${w.hangup.reason}`, { target: p.target });
    await leg.media.stopAll().catch(() => {});
    await leg.media.connect(other.media);
    leg.bridgedTo = other;
    other.bridgedTo = leg;
    await ctx.emit('transfer.accepted', { legId: leg.id, targetLegId: other.id, target: p.target, method: 'bridge' });
    return success({ method: 'bridge', targetLegId: other.id });
  },
};
