// play: plays files, URLs, tones and TTS (text or SSML through the Synthesizer port) to one
// leg or to every answered leg, optionally looped and interruptible by the caller (barge-in).
// On a conference call (mixed) toAll without barge-in plays once into the mix (Mixer.play).
// Events: play.started, then play.completed | play.failed | play.cancelled.
import type { OperationDefinition } from './operation.ts';
import { SUBCODE, failure, success } from './operation-result.ts';
import { checkPlaySources, followMedia, targetLegs, toPlayItems, type PlaySource } from './media.ts';
import { Check } from './validate.ts';

export interface PlayParams {
  sources: PlaySource[];
  /** Default false. */
  loop: boolean;
  /** Default false. */
  bargeIn: boolean;
  /** Default: the primary leg (or every answered leg when toAll). */
  legId?: string;
  /** Default false. */
  toAll: boolean;
}

export const play: OperationDefinition<PlayParams> = {
  name: 'play',
  eventPrefix: 'play',
  events: 'all',
  startedEvent: true,
  media: true,
  validate(params) {
    const c = new Check(params);
    c.only(['sources', 'loop', 'bargeIn', 'legId', 'toAll']);
    const sources = checkPlaySources(c, 'sources', true);
    const loop = c.bool('loop', false);
    const bargeIn = c.bool('bargeIn', false);
    const legId = c.str('legId');
    const toAll = c.bool('toAll', false);
    c.done();
    return { sources, loop, bargeIn, toAll, ...(legId !== undefined ? { legId } : {}) };
  },
  async start(ctx, p) {
    // A conference call (mixed) with toAll and no barge-in: one prompt into the mix, which
    // every member hears on top of each other (a play per leg would replace what each hears).
    const mixer = p.toAll && p.legId === undefined && !p.bargeIn && ctx.call.mix.mode === 'mixed' ? ctx.call.mix.currentMixer : undefined;
    if (mixer?.play && !mixer.closed) {
      const items = await toPlayItems(ctx, p.sources);
      const r = await followMedia(ctx, await mixer.play(items, { loop: p.loop }));
      if (r.reason === 'failed' || r.reason === 'closed') return failure(500, SUBCODE.MEDIA_FAILED, `playback failed: ${r.error ?? r.reason}`);
      return success();
    }
    const legs = targetLegs(ctx, p.legId, p.toAll);
    const items = await toPlayItems(ctx, p.sources);
    const ops = await Promise.all(legs.map((l) => l.media.play(items, { loop: p.loop, bargeIn: p.bargeIn })));
    const results = await Promise.all(ops.map((o) => followMedia(ctx, o)));
    const bad = results.find((r) => r.reason === 'failed' || r.reason === 'closed');
    if (bad) return failure(500, SUBCODE.MEDIA_FAILED, `playback failed: ${bad.error ?? bad.reason}`);
    if (results.some((r) => r.reason === 'bargeIn')) return success({ bargeIn: true }, 'interrupted by the caller', SUBCODE.BARGE_IN);
    return success();
  },
};
