/**
 * One conference inside a worker: a Mixer (src/media/mix, mix-minus) at the conference's rate,
 * the endpoints of this worker that joined it, and the prompts played INTO it. The worker's
 * ticker drives it between the two endpoint phases:
 * phase 1 (every endpoint pulls its inbound frame) → `pushInputs()` (each member's frame, and
 * each running prompt's frame, into the mixer) → phase 2 (each member's outbound frame is
 * `mixFor(member)`) → `endTick()` (finished prompts leave, their operations complete).
 *
 * Mixed rates: a member whose media rate differs from the conference rate (a G.711 phone at
 * 8 kHz in a 16 kHz mix, an Opus leg at 48 kHz) gets two polyphase Resamplers (src/media/dsp):
 * its inbound frame is resampled up/down to the mix rate before pushFrame, and its mix-minus is
 * resampled back to its own rate. Mix-minus stays exact: a member's own contribution is
 * subtracted at the mix rate, before the way back, so nobody hears themselves (not even a
 * filtered echo). The buffers are made at join (or when a member's rate changes): nothing is
 * allocated per tick. A member at the conference rate costs nothing extra.
 *
 * Prompts into the mix (`play`): each one is a mixer participant that only talks (it never
 * hears, so it costs no mixFor); every member hears it, listen-only and muted ones included.
 * It does not stop anyone from being heard. Several may run at once; each is an operation the
 * caller completes through `onDone` (finished | cancelled).
 *
 * Every member lives in the conference's worker: an endpoint of another worker is represented
 * here by a RelayEndpoint (relay-endpoint.ts) that joins under the far endpoint's id.
 *
 * ```
 *  open ──close()──▶ closed   (every member leaves; its outbound falls back to silence/bridge/echo;
 *                              running prompts complete 'cancelled')
 * ```
 */
import type { AudioSource } from '../audio.ts';
import { Resampler } from '../dsp/index.ts';
import { Mixer } from '../mix/index.ts';
import type { ConferenceJoinOptions, OperationResult } from './endpoint-types.ts';

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

/** Per-member rate conversion (only for members whose rate differs from the mix's); all buffers pooled. */
interface RateBridge {
  /** The member rate it was built for (rebuilt if the member's rate changes, e.g. a re-INVITE to another codec). */
  rate: number;
  /** Member rate → mix rate, and its output (maxOutput of one member frame). */
  up: Resampler;
  upBuf: Int16Array;
  /** Mix rate → member rate: the member's mix-minus at the mix rate, and the converted frame. */
  down: Resampler;
  mixBuf: Int16Array;
  downBuf: Int16Array;
}

interface Member {
  ep: ConferenceMember;
  bridge: RateBridge | undefined;
}

interface Prompt {
  key: string;
  source: AudioSource;
  frame: Int16Array;
  /** The source ran out this tick: it leaves the mix at endTick. */
  ended: boolean;
  onDone: (r: OperationResult) => void;
}

export class ConferenceRoom {
  readonly mixer: Mixer;
  private readonly members = new Map<string, Member>();
  private readonly prompts = new Map<number, Prompt>();
  closed = false;

  constructor(readonly id: number, readonly rate: number) {
    this.mixer = new Mixer(rate);
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
   * Add `ep` as participant `key` (its endpoint id); it leaves any other conference first. A
   * rate the resampler cannot convert (not a small integer ratio of the mix rate) is refused with
   * code RATE_MISMATCH.
   */
  join(ep: ConferenceMember, key: string, opts: ConferenceJoinOptions): void {
    if (this.closed) throw new Error('conference is closed');
    const bridge = ep.mediaRate === this.rate ? undefined : this.bridgeFor(ep.mediaRate);
    if (ep.conference && (ep.conference.room !== this || ep.conference.key !== key)) ep.conference.room.leave(ep);
    const m = this.members.get(key);
    if (m) {
      this.mixer.set(key, toMixer(opts));
      return;
    }
    this.mixer.add(key, toMixer(opts));
    this.members.set(key, { ep, bridge });
    ep.conference = { room: this, key };
  }

  /** Change a member's options (omitted ones keep their value). */
  set(ep: ConferenceMember, opts: ConferenceJoinOptions): void {
    const key = ep.conference?.room === this ? ep.conference.key : undefined;
    if (key === undefined) throw new Error('endpoint is not in this conference');
    this.mixer.set(key, toMixer(opts));
  }

  leave(ep: ConferenceMember): void {
    if (ep.conference?.room !== this) return;
    const key = ep.conference.key;
    ep.conference = undefined;
    this.members.delete(key);
    this.mixer.remove(key);
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
    this.mixer.add(key);
    this.prompts.set(op, { key, source, frame: new Int16Array(this.mixer.frameSize), ended: false, onDone });
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
    for (const [key, m] of this.members) {
      const ep = m.ep;
      if (!ep.inHave || ep.muted) continue;
      if (ep.mediaRate === this.rate) {
        this.mixer.pushFrame(key, ep.inFrame);
        continue;
      }
      const b = this.bridgeOf(m);
      const n = b.up.process(ep.inFrame, b.upBuf);
      if (n < b.upBuf.length) b.upBuf.fill(0, n);
      // pushFrame copies frameSize samples; the spare slot of upBuf (maxOutput) is ignored.
      this.mixer.pushFrame(key, b.upBuf);
    }
    for (const p of this.prompts.values()) {
      if (p.ended) continue;
      if (!p.source.read(p.frame)) p.ended = true;
      // The last read holds the source's zero-padded tail: it is still heard.
      this.mixer.pushFrame(p.key, p.frame);
    }
  }

  /** What member `key` hears this tick, at its own media rate (`out` is one frame of it). */
  mixFor(key: string, out: Int16Array): void {
    const m = this.members.get(key);
    if (!m || m.ep.mediaRate === this.rate) {
      this.mixer.mixFor(key, out);
      return;
    }
    const b = this.bridgeOf(m);
    this.mixer.mixFor(key, b.mixBuf);
    const n = b.down.process(b.mixBuf, b.downBuf);
    const len = out.length;
    for (let i = 0; i < len; i++) out[i] = i < n ? b.downBuf[i] : 0;
  }

  /** Tick, after the outbound phase. */
  endTick(): void {
    this.mixer.tick();
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
    this.mixer.remove(p.key);
    p.source.close();
    p.onDone(r);
  }

  /** The member's bridge, rebuilt when its rate changed since it joined (a rare allocation). */
  private bridgeOf(m: Member): RateBridge {
    if (!m.bridge || m.bridge.rate !== m.ep.mediaRate) m.bridge = this.bridgeFor(m.ep.mediaRate);
    return m.bridge;
  }

  private bridgeFor(rate: number): RateBridge {
    let up: Resampler;
    let down: Resampler;
    try {
      up = new Resampler(rate, this.rate);
      down = new Resampler(this.rate, rate);
    } catch (err) {
      throw Object.assign(new Error(`endpoint media rate ${rate} Hz cannot be resampled to the conference rate ${this.rate} Hz: ${(err as Error).message}`), { code: 'RATE_MISMATCH' });
    }
    const memberFrame = rate / 50;
    const mixFrame = this.mixer.frameSize;
    return {
      rate, up, down,
      upBuf: new Int16Array(Math.max(mixFrame, up.maxOutput(memberFrame))),
      mixBuf: new Int16Array(mixFrame),
      downBuf: new Int16Array(Math.max(memberFrame, down.maxOutput(mixFrame))),
    };
  }
}

function toMixer(o: ConferenceJoinOptions): { muted?: boolean; gain?: number; listenOnly?: boolean; hearsOnly?: string } {
  return {
    ...(o.muted !== undefined ? { muted: o.muted } : {}),
    ...(o.gain !== undefined ? { gain: o.gain } : {}),
    ...(o.listenOnly !== undefined ? { listenOnly: o.listenOnly } : {}),
    ...('whisperTo' in o ? { hearsOnly: o.whisperTo === undefined ? undefined : String(o.whisperTo) } : {}),
  };
}
