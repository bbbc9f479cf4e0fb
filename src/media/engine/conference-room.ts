/**
 * One conference inside a worker: a Mixer (src/media/mix, mix-minus) and the endpoints of this
 * worker that joined it. The worker's ticker drives it between the two endpoint phases:
 * phase 1 (every endpoint pulls its inbound frame) → `pushInputs()` (each member's frame into
 * the mixer) → phase 2 (each member's outbound frame is `mixFor(member)`) → `endTick()`.
 *
 * Co-location, not relaying: every member must live in the conference's worker (create the
 * endpoint with `near: conference`), so a tick needs no cross-thread hop and adds no latency.
 * Partial: members must run at the conference's rate (the rate of its creation, default
 * 8000 Hz); joining at another media rate is refused rather than resampled.
 *
 * ```
 *  open ──close()──▶ closed   (every member leaves; its outbound falls back to silence/bridge/echo)
 * ```
 */
import { Mixer } from '../mix/index.ts';
import type { ConferenceJoinOptions } from './endpoint-types.ts';

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

export class ConferenceRoom {
  readonly mixer: Mixer;
  private readonly members = new Map<string, ConferenceMember>();
  closed = false;

  constructor(readonly id: number, readonly rate: number) {
    this.mixer = new Mixer(rate);
  }

  get size(): number {
    return this.members.size;
  }

  /** Add `ep` as participant `key` (its endpoint id); it leaves any other conference first. */
  join(ep: ConferenceMember, key: string, opts: ConferenceJoinOptions): void {
    if (this.closed) throw new Error('conference is closed');
    if (ep.mediaRate !== this.rate) {
      throw Object.assign(new Error(`endpoint media rate ${ep.mediaRate} Hz differs from the conference rate ${this.rate} Hz (resampling legs is not supported yet)`), { code: 'RATE_MISMATCH' });
    }
    if (ep.conference && (ep.conference.room !== this || ep.conference.key !== key)) ep.conference.room.leave(ep);
    if (this.members.has(key)) {
      this.mixer.set(key, toMixer(opts));
      return;
    }
    this.mixer.add(key, toMixer(opts));
    this.members.set(key, ep);
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

  /** Tick, between the endpoints' inbound and outbound phases. */
  pushInputs(): void {
    for (const [key, ep] of this.members) if (ep.inHave && !ep.muted) this.mixer.pushFrame(key, ep.inFrame);
  }

  /** What member `key` hears this tick. */
  mixFor(key: string, out: Int16Array): void {
    this.mixer.mixFor(key, out);
  }

  /** Tick, after the outbound phase. */
  endTick(): void {
    this.mixer.tick();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const ep of [...this.members.values()]) this.leave(ep);
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
