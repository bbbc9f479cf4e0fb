// hold / unhold: takes one leg (default the primary) out of the conversation and plays it music
// in a loop, then brings it back. While held the leg is out of the bridge or the mix (CallMix:
// the others do not hear it, it does not hear them) and hears only the music.
//
// No re-INVITE a=sendonly (RFC 3264 §8.4) is sent: we keep sending RTP (the music), so the
// peer's media path, NAT bindings and RTP timeouts stay as they were, and a peer that handles
// re-INVITEs badly is not put at risk; what it sends meanwhile is simply not passed on. The
// Channel port's hold() stays available for a face that must signal hold.
//
// The default music is a built-in pattern — a short 440 Hz tone every two seconds (the engine's
// tone level; there is no per-item volume yet) — because a node may have no music file; files,
// URLs and TTS are accepted like play's sources. Holding a held leg, or unholding one that is
// not held, completes without a change. Events: hold.completed / unhold.completed {legId};
// participants.updated when the flag changed. The flag (leg.onHold, memory is the truth) is
// written to the leg's row (legs.on_hold, ./leg-flags.ts) once it changed in memory, before the
// operation completes; a hold that failed (rolled back) writes nothing.
import type { Call } from '../calls/call.ts';
import { CallError } from '../calls/call-error.ts';
import type { Leg } from '../calls/leg.ts';
import type { OperationDefinition } from './operation.ts';
import { SUBCODE, failure, success } from './operation-result.ts';
import { checkPlaySources, toPlayItems, type PlaySource } from './media.ts';
import { liveLegOf } from './remove-participant.ts';
import { persistLegFlags } from './leg-flags.ts';
import { Check } from './validate.ts';

export interface HoldParams {
  /** Default: the primary leg. */
  legId?: string;
  /** Default DEFAULT_HOLD_MUSIC. */
  music?: PlaySource[];
}

/** Played in a loop when hold names no music: 440 Hz for 400 ms, then 1600 ms of silence. */
export const DEFAULT_HOLD_MUSIC: readonly PlaySource[] = [
  { kind: 'tone', frequencies: [440], durationMs: 400 },
  { kind: 'silence', durationMs: 1600 },
];

/** The leg hold/unhold address: `legId` or the primary; it must be answered. */
function holdLeg(call: Call, legId: string | undefined): Leg {
  const leg = legId !== undefined ? liveLegOf(call, legId) : call.primaryLeg;
  if (!leg?.live) throw new CallError('INVALID_STATE', `call ${call.id} has no live leg`);
  if (leg.state !== 'answered') throw new CallError('INVALID_STATE', `leg ${leg.id} is ${leg.state}: only an answered leg can be held`);
  return leg;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const hold: OperationDefinition<HoldParams> = {
  name: 'hold',
  eventPrefix: 'hold',
  events: 'all',
  validate(params, call) {
    const c = new Check(params);
    c.only(['legId', 'music']);
    const legId = c.str('legId', { max: 100 });
    const music = checkPlaySources(c, 'music', false);
    c.done();
    holdLeg(call, legId);
    return { ...(legId !== undefined ? { legId } : {}), ...(music.length > 0 ? { music } : {}) };
  },
  async start(ctx, p) {
    const call = ctx.call;
    const leg = holdLeg(call, p.legId);
    const data = { legId: leg.id };
    if (leg.onHold) return success(data, 'already on hold');
    // Set before any await: a second hold arriving meanwhile sees it and changes nothing.
    leg.onHold = true;
    try {
      const items = await toPlayItems(ctx, p.music ?? DEFAULT_HOLD_MUSIC);
      await call.mix.arrange();
      leg.holdMusic = await leg.media.play(items, { loop: true });
    } catch (err) {
      leg.onHold = false;
      await call.mix.arrange().catch(() => {});
      if (err instanceof CallError) throw err;
      return failure(500, SUBCODE.MEDIA_FAILED, `could not hold: ${errorText(err)}`, data);
    }
    await persistLegFlags(call, leg, ctx.env.clock);
    await call.publishParticipants().catch(() => {});
    return success(data);
  },
};

export const unhold: OperationDefinition<Omit<HoldParams, 'music'>> = {
  name: 'unhold',
  eventPrefix: 'unhold',
  events: 'all',
  validate(params, call) {
    const c = new Check(params);
    c.only(['legId']);
    const legId = c.str('legId', { max: 100 });
    c.done();
    holdLeg(call, legId);
    return legId !== undefined ? { legId } : {};
  },
  async start(ctx, p) {
    const call = ctx.call;
    const leg = holdLeg(call, p.legId);
    const data = { legId: leg.id };
    if (!leg.onHold) return success(data, 'not on hold');
    leg.onHold = false;
    const music = leg.holdMusic;
    leg.holdMusic = undefined;
    await music?.cancel().catch(() => {});
    try {
      await call.mix.arrange();
    } catch (err) {
      // The leg is no longer held in memory (its music is gone) even though the mix did not take
      // it back: the row says so too.
      await persistLegFlags(call, leg, ctx.env.clock);
      return failure(500, SUBCODE.MEDIA_FAILED, `could not bring the leg back: ${errorText(err)}`, data);
    }
    await persistLegFlags(call, leg, ctx.env.clock);
    await call.publishParticipants().catch(() => {});
    return success(data);
  },
};
