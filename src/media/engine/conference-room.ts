/**
 * One conference inside a worker: a Mixer (src/media/mix, mix-minus), the endpoints of this
 * worker that joined it, and the prompts played INTO it. The worker's ticker drives it between
 * the two endpoint phases:
 * phase 1 (every endpoint pulls its inbound frame) → `pushInputs()` (each member's frame, and
 * each running prompt's frame, into the mixer) → phase 2 (each member's outbound frame is
 * `mixFor(member)`) → `endTick()` (finished prompts leave, their operations complete).
 *
 * Mix rate (adaptive): `rate`, the conference's rate, is the HIGHEST rate the room mixes at (the
 * cap; prompts are rendered at it and relays of other workers work at it). The mix itself runs at
 * `mixRate` = the highest media rate among the members, capped at `rate` (`rate` while the room
 * is empty). So a 16 kHz conference whose members are all G.711 mixes at 8 kHz exactly like an
 * 8 kHz conference (same path, no resampler, same cost), and goes wideband only while a member
 * at 16 kHz (L16/16000, Opus) is in it. Why: resampling an 8 kHz member up and back costs ~35×
 * the mix itself (docs/benchmarks.md, mixer rows), so a wideband mix is only paid for when
 * somebody can hear it. The rate is re-chosen at join/leave and when a member's media rate
 * changes (a re-INVITE to another codec, seen at the next tick): a new Mixer and new resamplers
 * are built then (a rare allocation; members keep their options; the resamplers restart, a few
 * ms of filter delay, no click of stale history).
 *
 * Mixed rates: a member whose media rate differs from the mix rate (a G.711 phone at 8 kHz in a
 * 16 kHz mix, an Opus leg at 48 kHz) gets two FrameConverters (frame-converter.ts, polyphase
 * Resamplers of src/media/dsp): its inbound frame is resampled to the mix rate before pushFrame,
 * and its mix-minus back to its own rate.
 * Mix-minus stays exact: a member's own contribution is subtracted at the mix rate, before the
 * way back, so nobody hears themselves (not even a filtered echo). A prompt (at `rate`) in a mix
 * running lower is resampled down the same way. The converters are prepared (resamplers and
 * buffers built, an unconvertible ratio refused) when the rate is chosen: nothing is allocated
 * per tick. A member at the mix rate costs nothing extra.
 *
 * Prompts into the mix (`play`): each one is a mixer participant that only talks (it never
 * hears, so it costs no mixFor); every member hears it, listen-only and muted ones included.
 * It does not stop anyone from being heard. Several may run at once; each is an operation the
 * caller completes through `onDone` (finished | cancelled).
 *
 * Every member lives in the conference's worker: an endpoint of another worker is represented
 * here by a RelayEndpoint (relay-endpoint.ts) that joins under the far endpoint's id — at the
 * conference rate `rate`, so with a 16 kHz cap a relayed G.711 member counts as a 16 kHz member
 * (partial: the link does not carry the far member's own rate yet; docs/media.md).
 *
 * ```
 *  open ──close()──▶ closed   (every member leaves; its outbound falls back to silence/bridge/echo;
 *                              running prompts complete 'cancelled')
 * ```
 */
import type { AudioSource } from '../audio.ts';
import { Mixer } from '../mix/index.ts';
import type { ConferenceJoinOptions, OperationResult } from './endpoint-types.ts';
import { FrameConverter } from './frame-converter.ts';

/** What the room needs from a member endpoint (RtpEndpoint satisfies it). */
export interface ConferenceMember {
  readonly mediaRate: number;
  /** This tick's decoded inbound frame and whether it holds audio. */
  readonly inFrame: Int16Array;
  readonly inHave: boolean;
  /** Muted at the engine (EndpointUpdate.muted): its frame stays out of the mix. Absent = false. */
  readonly muted?: boolean;
  conference: { room: ConferenceRoom; key: string } | undefined;
}

/**
 * Per-member rate conversion (only for members whose rate differs from the mix's); all buffers
 * pooled, converters prepared when the bridge is made (nothing is built in the tick).
 */
interface RateBridge {
  /** The member's media rate and the mix rate the converters were prepared for. */
  rate: number;
  mixRate: number;
  /** Member rate → mix rate. */
  up: FrameConverter;
  /** Mix rate → member rate, and the member's mix-minus at the mix rate that it converts. */
  down: FrameConverter;
  mixBuf: Int16Array;
}

interface Member {
  ep: ConferenceMember;
  /** The member's media rate the current mix rate and bridge were chosen for. */
  rate: number;
  /** undefined: at the mix rate; null: a rate the resampler cannot convert (after a codec change): silent both ways. */
  bridge: RateBridge | undefined | null;
}

/** A prompt rendered at the conference rate, resampled down to `mixRate` while the mix runs lower. */
interface PromptDown {
  conv: FrameConverter;
  mixRate: number;
}

interface Prompt {
  key: string;
  source: AudioSource;
  /** One frame at the conference rate `rate`. */
  frame: Int16Array;
  down: PromptDown | undefined;
  /** The source ran out this tick: it leaves the mix at endTick. */
  ended: boolean;
  onDone: (r: OperationResult) => void;
}

export class ConferenceRoom {
  private mix: Mixer;
  private readonly members = new Map<string, Member>();
  private readonly prompts = new Map<number, Prompt>();
  closed = false;

  /** `rate`: the conference rate — the highest rate it mixes at, and the rate of its prompts. */
  constructor(readonly id: number, readonly rate: number) {
    this.mix = new Mixer(rate);
  }

  /** The mixer at the current mix rate (replaced when the mix rate changes). */
  get mixer(): Mixer {
    return this.mix;
  }

  /** The rate the mix runs at now: the highest member media rate, capped at `rate`. */
  get mixRate(): number {
    return this.mix.rate;
  }

  /** Number of member endpoints (prompts not counted). */
  get size(): number {
    return this.members.size;
  }

  /** Number of prompts playing into the mix. */
  get playing(): number {
    return this.prompts.size;
  }

  /**
   * Add `ep` as participant `key` (its endpoint id); it leaves any other conference first. The
   * mix rate is re-chosen (it rises if `ep` is the widest member, up to `rate`). A rate the
   * resampler cannot convert (not a small integer ratio of the mix rate) is refused with code
   * RATE_MISMATCH, and the room stays as it was.
   */
  join(ep: ConferenceMember, key: string, opts: ConferenceJoinOptions): void {
    if (this.closed) throw new Error('conference is closed');
    const m = this.members.get(key);
    if (m) {
      this.mix.set(key, toMixer(opts));
      return;
    }
    const target = this.targetRate(ep.mediaRate);
    // Everything that can throw happens before anything changes.
    const plan = target === this.mix.rate ? undefined : this.plan(target);
    const bridge = ep.mediaRate === target ? undefined : bridgeFor(ep.mediaRate, target);
    if (ep.conference && (ep.conference.room !== this || ep.conference.key !== key)) ep.conference.room.leave(ep);
    if (plan) this.apply(plan);
    this.mix.add(key, toMixer(opts));
    this.members.set(key, { ep, rate: ep.mediaRate, bridge });
    ep.conference = { room: this, key };
  }

  /** Change a member's options (omitted ones keep their value). */
  set(ep: ConferenceMember, opts: ConferenceJoinOptions): void {
    const key = ep.conference?.room === this ? ep.conference.key : undefined;
    if (key === undefined) throw new Error('endpoint is not in this conference');
    this.mix.set(key, toMixer(opts));
  }

  /** Remove `ep`; the mix rate falls back if it was the widest member (e.g. to 8 kHz when only G.711 legs remain). */
  leave(ep: ConferenceMember): void {
    if (ep.conference?.room !== this) return;
    const key = ep.conference.key;
    ep.conference = undefined;
    this.members.delete(key);
    this.mix.remove(key);
    if (!this.closed) this.retune();
  }

  /**
   * Play `source` (at the conference rate) into the mix as operation `op`; `onDone` is called
   * once: 'finished' when the source runs out, 'cancelled' by cancelPlay/close.
   */
  play(op: number, source: AudioSource, onDone: (r: OperationResult) => void): void {
    if (this.closed) {
      source.close();
      throw new Error('conference is closed');
    }
    if (source.rate !== this.rate) {
      source.close();
      throw new Error(`prompt rate ${source.rate} Hz differs from the conference rate ${this.rate} Hz`);
    }
    if (this.prompts.has(op)) throw new Error(`operation ${op} is already playing`);
    const key = `play:${op}`;
    // A prompt is heard by every member and hears nothing itself.
    this.mix.add(key);
    this.prompts.set(op, { key, source, frame: new Int16Array(this.rate / 50), down: this.promptDown(this.mix.rate), ended: false, onDone });
  }

  /** Stop prompt `op`; false when it is not playing (finished, cancelled, unknown). */
  cancelPlay(op: number): boolean {
    const p = this.prompts.get(op);
    if (!p) return false;
    this.endPrompt(op, p, { reason: 'cancelled' });
    return true;
  }

  /** Tick, between the endpoints' inbound and outbound phases. */
  pushInputs(): void {
    // A member's media rate changed (re-INVITE): re-choose the mix rate before anything is pushed.
    for (const m of this.members.values()) {
      if (m.rate !== m.ep.mediaRate) {
        this.retune();
        break;
      }
    }
    const mix = this.mix;
    for (const [key, m] of this.members) {
      const ep = m.ep;
      if (!ep.inHave || ep.muted) continue;
      const b = m.bridge;
      if (b === undefined) {
        mix.pushFrame(key, ep.inFrame);
        continue;
      }
      if (b === null) continue;
      // The whole inFrame, as the resampler always took it (one frame at the member's rate).
      mix.pushFrame(key, b.up.convert(ep.inFrame, b.rate, b.mixRate, ep.inFrame.length));
    }
    for (const p of this.prompts.values()) {
      if (p.ended) continue;
      if (!p.source.read(p.frame)) p.ended = true;
      // The last read holds the source's zero-padded tail: it is still heard.
      if (!p.down) {
        mix.pushFrame(p.key, p.frame);
        continue;
      }
      mix.pushFrame(p.key, p.down.conv.convert(p.frame, this.rate, p.down.mixRate));
    }
  }

  /** What member `key` hears this tick, at its own media rate (`out` is one frame of it). */
  mixFor(key: string, out: Int16Array): void {
    const m = this.members.get(key);
    if (!m || m.bridge === undefined) {
      this.mix.mixFor(key, out);
      return;
    }
    const b = m.bridge;
    if (b === null || m.rate !== m.ep.mediaRate) {
      // Unconvertible, or its rate changed since pushInputs (re-chosen next tick): silence, not garbage.
      out.fill(0);
      return;
    }
    this.mix.mixFor(key, b.mixBuf);
    const frame = b.down.convert(b.mixBuf, b.mixRate, b.rate);
    const len = out.length;
    for (let i = 0; i < len; i++) out[i] = i < frame.length ? frame[i] : 0;
  }

  /** Tick, after the outbound phase. */
  endTick(): void {
    this.mix.tick();
    for (const [op, p] of this.prompts) if (p.ended) this.endPrompt(op, p, { reason: 'finished' });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const m of [...this.members.values()]) this.leave(m.ep);
    for (const [op, p] of [...this.prompts]) this.endPrompt(op, p, { reason: 'cancelled' });
  }

  private endPrompt(op: number, p: Prompt, r: OperationResult): void {
    this.prompts.delete(op);
    this.mix.remove(p.key);
    p.source.close();
    p.onDone(r);
  }

  /**
   * The mix rate for the current members (plus one of rate `extra` about to join): the highest
   * media rate, capped at `rate`; `rate` for an empty room or a top rate that is no whole number
   * of samples per 20 ms (the resampler then decides whether that member can join at all).
   */
  private targetRate(extra = 0): number {
    let top = extra;
    for (const m of this.members.values()) if (m.ep.mediaRate > top) top = m.ep.mediaRate;
    if (top <= 0 || top >= this.rate || top % 50 !== 0) return this.rate;
    return top;
  }

  /** Everything a mix rate needs, built before it replaces the current one (throws RATE_MISMATCH). */
  private plan(target: number): { mixer: Mixer; bridges: Map<string, RateBridge | undefined>; downs: Map<number, PromptDown | undefined> } {
    const bridges = new Map<string, RateBridge | undefined>();
    for (const [key, m] of this.members) bridges.set(key, m.ep.mediaRate === target ? undefined : bridgeFor(m.ep.mediaRate, target));
    const downs = new Map<number, PromptDown | undefined>();
    for (const op of this.prompts.keys()) downs.set(op, this.promptDown(target));
    const mixer = new Mixer(target);
    // Members keep their options (mute, gain, listen-only, whisper target) at the new rate.
    for (const key of this.members.keys()) mixer.add(key, this.mix.get(key));
    for (const p of this.prompts.values()) mixer.add(p.key);
    return { mixer, bridges, downs };
  }

  private apply(plan: ReturnType<ConferenceRoom['plan']>): void {
    this.mix = plan.mixer;
    for (const [key, m] of this.members) {
      m.bridge = plan.bridges.get(key);
      m.rate = m.ep.mediaRate;
    }
    for (const [op, p] of this.prompts) p.down = plan.downs.get(op);
  }

  /**
   * Re-choose the mix rate after a leave or a member's codec change. A member whose new rate
   * cannot be converted to it stays in the room but silent both ways (it was admitted at its old
   * rate; refusing now would drop it from the call's conference behind the application's back).
   */
  private retune(): void {
    const target = this.targetRate();
    try {
      if (target !== this.mix.rate) {
        this.apply(this.plan(target));
        return;
      }
    } catch {
      // Fall through: keep the current rate, rebuild only the members that changed.
    }
    for (const m of this.members.values()) {
      if (m.rate === m.ep.mediaRate) continue;
      m.rate = m.ep.mediaRate;
      try {
        m.bridge = m.rate === this.mix.rate ? undefined : bridgeFor(m.rate, this.mix.rate);
      } catch {
        m.bridge = null;
      }
    }
  }

  private promptDown(mixRate: number): PromptDown | undefined {
    if (mixRate === this.rate) return undefined;
    const conv = new FrameConverter();
    conv.prepare(this.rate, mixRate);
    return { conv, mixRate };
  }
}

/** Converters (prepared) and buffers for a member at `rate` in a mix at `mixRate` (throws RATE_MISMATCH). */
function bridgeFor(rate: number, mixRate: number): RateBridge {
  const up = new FrameConverter();
  const down = new FrameConverter();
  try {
    up.prepare(rate, mixRate);
    down.prepare(mixRate, rate);
  } catch (err) {
    throw Object.assign(new Error(`endpoint media rate ${rate} Hz cannot be resampled to the conference rate ${mixRate} Hz: ${(err as Error).message}`), { code: 'RATE_MISMATCH' });
  }
  return { rate, mixRate, up, down, mixBuf: new Int16Array(mixRate / 50) };
}

function toMixer(o: ConferenceJoinOptions): { muted?: boolean; gain?: number; listenOnly?: boolean; hearsOnly?: string } {
  return {
    ...(o.muted !== undefined ? { muted: o.muted } : {}),
    ...(o.gain !== undefined ? { gain: o.gain } : {}),
    ...(o.listenOnly !== undefined ? { listenOnly: o.listenOnly } : {}),
    ...('whisperTo' in o ? { hearsOnly: o.whisperTo === undefined ? undefined : String(o.whisperTo) } : {}),
  };
}
