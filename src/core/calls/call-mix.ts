// CallMix: who hears whom in one call. Operations change flags on legs (muted, onHold) and the
// set of legs; CallMix turns that into media wiring — two-party bridges (MediaEndpoint.connect)
// or one conference Mixer — in one place, one change at a time (a promise chain, so an answer
// and a hold arriving together cannot interleave their joins and leaves).
//
// ```
//   direct ──conference() (addParticipant answered)──▶ mixed ──close() (call ends)──▶ closed
//     └──────────────────────close()──────────────────────────────────────────────────▲
// ```
// - direct: legs talk through the two-party bridges operations made (transferBlind). A held
//   leg's bridge is cut (MediaEndpoint.disconnect) and restored on unhold; mute is the
//   endpoint's own (MediaEndpoint.mute, the engine stops passing on what it receives).
// - mixed: one Mixer, created near the first answered leg, holds every live answered leg that
//   is not on hold; a leg moving in leaves its bridge (the bridge's "hang up the survivor" rule
//   ends with it: a conference goes on while anyone is in it). Mute is the mixer's per-member
//   mute; an endpoint mute set while direct is lifted when the leg joins (the mixer's takes over).
// - closed: the mixer is released; nothing is rewired any more.
//
// It must never end a leg or the call: it only wires media. Failures of a rewire are reported
// to whoever asked (the operation fails) and logged by the caller; the next arrange() retries.
import type { MediaEndpoint, Mixer, MixerFactory } from '../ports/index.ts';
import { CallError } from './call-error.ts';
import type { Leg } from './leg.ts';

export type CallMixMode = 'direct' | 'mixed' | 'closed';

export class CallMix {
  private _mode: CallMixMode = 'direct';
  private mixer?: Mixer;
  private chain: Promise<void> = Promise.resolve();
  /** Legs whose bridge we cut for hold (direct mode), by id. */
  private readonly cut = new Set<string>();
  /** Legs muted through MediaEndpoint.mute() (direct mode), by id. */
  private readonly endpointMuted = new Set<string>();
  /** Legs kept out of the wiring while they move to another call (moveParticipant), by id. */
  private readonly excluded = new Set<string>();

  constructor(
    /** Every leg of the call, in order (the Call's map). */
    private readonly legs: () => Iterable<Leg>,
    /** Default none: conference() fails with NOT_CONFIGURED. */
    private readonly factory?: MixerFactory,
  ) {}

  get mode(): CallMixMode {
    return this._mode;
  }

  /** The mixer in use (mixed mode, once a leg joined); for tests and diagnostics. */
  get currentMixer(): Mixer | undefined {
    return this.mixer;
  }

  /** Whether a mixer can be had (checked before dialing a participant). */
  get canMix(): boolean {
    return this.factory !== undefined || this.mixer !== undefined;
  }

  private serial(work: () => Promise<void>): Promise<void> {
    const p = this.chain.then(work);
    this.chain = p.catch(() => {});
    return p;
  }

  /** Goes (or stays) mixed and puts every live answered leg that is not on hold in the mixer. */
  conference(): Promise<void> {
    if (this._mode === 'closed') return Promise.reject(new CallError('INVALID_STATE', 'the call has ended'));
    if (!this.canMix) return Promise.reject(new CallError('NOT_CONFIGURED', 'no mixer is configured: a call cannot have more than two parties'));
    this._mode = 'mixed';
    return this.arrange();
  }

  /** Re-applies the wiring after a change (a leg answered, ended, held or unheld). */
  arrange(): Promise<void> {
    return this.serial(() => (this._mode === 'mixed' ? this.arrangeMixed() : this._mode === 'direct' ? this.arrangeDirect() : Promise.resolve()));
  }

  /** Applies `leg.muted`. */
  applyMute(leg: Leg): Promise<void> {
    return this.serial(async () => {
      if (this._mode === 'mixed' && this.mixer?.has(leg.media)) {
        await this.mixer.setMuted(leg.media, leg.muted);
        return;
      }
      // Not in a mixer (direct, held, or not yet joined): the endpoint's own mute; joining
      // later carries the flag over to the mixer.
      if (leg.media.closed) return;
      if (leg.muted) {
        await leg.media.mute();
        this.endpointMuted.add(leg.id);
      } else if (this.endpointMuted.has(leg.id)) {
        await leg.media.unmute();
        this.endpointMuted.delete(leg.id);
      }
    });
  }

  private active(l: Leg): boolean {
    return l.live && l.state === 'answered' && !l.onHold && !l.media.closed && !this.excluded.has(l.id);
  }

  /**
   * moveParticipant, step 1 in the call the leg leaves: takes it out of the mixer (or cuts its
   * two-party bridge) and keeps it out until include() (the move failed) — its leg stays up.
   */
  exclude(leg: Leg): Promise<void> {
    this.excluded.add(leg.id);
    return this.serial(async () => {
      if (this.mixer?.has(leg.media)) await this.mixer.remove(leg.media).catch(() => {});
      const peer = leg.bridgedTo;
      if (peer) {
        peer.bridgedTo = undefined;
        leg.bridgedTo = undefined;
        this.cut.delete(leg.id);
        this.cut.delete(peer.id);
        if (!leg.media.closed) await leg.media.disconnect().catch(() => {});
      }
      if (this.endpointMuted.delete(leg.id) && !leg.media.closed) await leg.media.unmute().catch(() => {});
    });
  }

  /** Undoes exclude() (a failed move): the leg is wired again (a cut two-party bridge is not restored). */
  include(leg: Leg): Promise<void> {
    this.excluded.delete(leg.id);
    return this.arrange();
  }

  /**
   * moveParticipant, step 2 in the call the leg joins: goes (or stays) mixed and puts `media` —
   * not a leg of this call yet — in the mixer (created beside this call's first active leg, or
   * beside `media` when there is none). Rejects when the mixer cannot take it (e.g. its media
   * worker died); the mode change stays, nothing else changed.
   */
  adopt(media: MediaEndpoint, muted: boolean): Promise<void> {
    if (this._mode === 'closed') return Promise.reject(new CallError('INVALID_STATE', 'the call has ended'));
    if (!this.canMix) return Promise.reject(new CallError('NOT_CONFIGURED', 'no mixer is configured: a call cannot have more than two parties'));
    this._mode = 'mixed';
    return this.serial(async () => {
      await this.arrangeMixed();
      this.mixer ??= await this.factory!.create(media);
      await this.mixer.add(media, { muted });
    });
  }

  private async arrangeMixed(): Promise<void> {
    const all = [...this.legs()];
    const want = all.filter((l) => this.active(l));
    if (!this.mixer) {
      if (want.length === 0 || !this.factory) return;
      this.mixer = await this.factory.create(want[0].media);
    }
    const mixer = this.mixer;
    for (const l of all) {
      if (!want.includes(l) && mixer.has(l.media)) await mixer.remove(l.media).catch(() => {});
    }
    for (const l of want) {
      if (mixer.has(l.media)) continue;
      const peer = l.bridgedTo;
      if (peer) {
        peer.bridgedTo = undefined;
        l.bridgedTo = undefined;
        this.cut.delete(l.id);
        this.cut.delete(peer.id);
        await l.media.disconnect().catch(() => {});
      }
      if (this.endpointMuted.delete(l.id)) await l.media.unmute().catch(() => {});
      await mixer.add(l.media, { muted: l.muted });
    }
  }

  private async arrangeDirect(): Promise<void> {
    for (const l of this.legs()) {
      const peer = l.bridgedTo;
      if (!peer || !l.live || !peer.live || l.media.closed || peer.media.closed) continue;
      const talk = !l.onHold && !peer.onHold;
      if (talk && this.cut.has(l.id)) {
        await l.media.connect(peer.media);
        this.cut.delete(l.id);
        this.cut.delete(peer.id);
      } else if (!talk && !this.cut.has(l.id)) {
        await l.media.disconnect();
        this.cut.add(l.id);
        this.cut.add(peer.id);
      }
    }
  }

  /** Releases the mixer; afterwards nothing is rewired. Idempotent. */
  close(): Promise<void> {
    return this.serial(async () => {
      if (this._mode === 'closed') return;
      this._mode = 'closed';
      const m = this.mixer;
      this.mixer = undefined;
      await m?.close();
    });
  }
}
