/**
 * A relay pseudo-endpoint: one half of a cross-worker link (a bridge or a conference membership
 * whose two sides live in different media workers). It has no socket; to the endpoint it is
 * bridged with — or to the conference it joined — it looks like any endpoint: `inFrame`/`inHave`
 * is what the far side says this tick, read from the inbound FrameRing; what it sends (the local
 * peer's inbound frame, or its conference mix-minus) goes into the outbound FrameRing.
 *
 * ```
 *  worker i:  a ⇄ relay(i) ──ring i→j──▶ relay(j) ⇄ b            (bridge)
 *                          ◀──ring j→i──
 *  worker i:  conference ∋ relay(i) ⇄ rings ⇄ relay(j) ⇄ e      (e "joined" a conference of worker i)
 * ```
 * The worker ticks it in phase 0: `pullInbound` with the endpoints, then — after the
 * conferences took their inputs — `pushOutbound` before the endpoints send, so it forwards the
 * frame of the same tick and the consumer worker has it at its next tick: the added latency is
 * the phase offset between the two workers' 20 ms grids, under one tick (FrameRing sheds a
 * backlog that would keep more).
 *
 * Rates: frames cross at the link rate (the ring's); a relay whose local rate (its bridged
 * endpoint's media rate, or its conference's rate) differs resamples both ways with polyphase
 * Resamplers, rebuilt only when that rate changes (e.g. a re-INVITE to another codec).
 *
 * Mute: the producer writes a muted endpoint's frames as silence, so EndpointUpdate.muted holds
 * across the link exactly as on a same-worker bridge.
 *
 * Life cycle (tear-down is self-detecting, so nothing is leaked whichever side goes first):
 * ```
 *  open ──(local peer unbridged/closed, left/closed conference, ring closed by the far relay
 *          or by the main thread when a worker died)──▶ closed: both rings marked closed,
 *          the local endpoint unbridged / the member removed from the mix
 * ```
 */
import { FrameConverter } from './frame-converter.ts';
import type { ConferenceRoom } from './conference-room.ts';
import type { FrameRing } from './frame-ring.ts';

/** What a bridged endpoint exposes to its peer (RtpEndpoint and RelayEndpoint both do). */
export interface BridgePeer {
  readonly mediaRate: number;
  /** This tick's inbound frame (at mediaRate) and whether it holds audio. */
  readonly inFrame: Int16Array;
  readonly inHave: boolean;
  /** Muted at the engine: its audio is not passed on. */
  readonly muted: boolean;
  peer: BridgePeer | undefined;
}

/**
 * A relay's counters. framesIn/framesOut/latency are counted here; underruns, dropped and shed
 * are counted ONCE, by the rings (atomics the far worker and the main thread can also read), and
 * copied in by syncRingStats() — at load reports and at close, never per tick.
 */
export interface RelayStats {
  framesIn: number;
  framesOut: number;
  /** Reads that found our inbound ring empty (silence played); the rx ring's count. */
  underruns: number;
  /** Frames we (the producer) dropped because the far side did not read in time (our outbound ring full). */
  dropped: number;
  /** Frames shed by us to keep the delay under a tick. */
  shed: number;
  latencySumMs: number;
  latencyMaxMs: number;
}

export class RelayEndpoint implements BridgePeer {
  /** The local endpoint this relay is bridged with (bridge kind). */
  peer: BridgePeer | undefined;
  /** The conference this relay is a member of (conference kind); set by ConferenceRoom.join. */
  conference: { room: ConferenceRoom; key: string } | undefined;
  /** A relay is never muted itself: mute travels in the frames (written as silence). */
  readonly muted = false;
  inFrame: Int16Array;
  inHave = false;
  closed = false;
  readonly stats: RelayStats = { framesIn: 0, framesOut: 0, underruns: 0, dropped: 0, shed: 0, latencySumMs: 0, latencyMaxMs: 0 };
  /** Whether this relay was ever attached (a relay that never got its peer/conference just closes). */
  private attached = false;
  private readonly linkFrame: Int16Array;
  private readonly mixOut: Int16Array;
  /** Link rate → our side's rate (frames read), and our side's → the link's (frames written). */
  private readonly down = new FrameConverter();
  private readonly up = new FrameConverter();

  constructor(
    readonly link: number,
    /** Ring the far side writes and we read. */
    private readonly rx: FrameRing,
    /** Ring we write and the far side reads. */
    private readonly tx: FrameRing,
    /** The rate this relay works at when it is a conference member (the conference's rate); else the peer's. */
    private readonly fixedRate?: number,
  ) {
    this.linkFrame = new Int16Array(rx.maxFrame);
    this.inFrame = new Int16Array(rx.maxFrame);
    this.mixOut = new Int16Array(fixedRate !== undefined ? fixedRate / 50 : 0);
  }

  /** The local rate: the conference's, else the bridged endpoint's media rate, else the link rate. */
  get mediaRate(): number {
    return this.fixedRate ?? this.peer?.mediaRate ?? this.tx.rate;
  }

  /** Bridge `ep` to this relay (its old pair, if any, is broken, as on a same-worker connect). */
  attachPeer(ep: BridgePeer): void {
    if (ep.peer) ep.peer.peer = undefined;
    ep.peer = this;
    this.peer = ep;
    this.attached = true;
  }

  /** Called after ConferenceRoom.join(this, …). */
  markAttached(): void {
    this.attached = true;
  }

  /** True when the link should end: either ring closed, or our local side went away. */
  get detached(): boolean {
    if (this.rx.closed || this.tx.closed) return true;
    if (!this.attached) return false;
    if (this.fixedRate !== undefined) return this.conference === undefined;
    return this.peer === undefined || this.peer.peer !== this;
  }

  /** Tick phase 1: this tick's frame from the far side (resampled to the local rate). False: the relay closed. */
  pullInbound(): boolean {
    if (this.closed) return false;
    if (this.detached) {
      this.close();
      return false;
    }
    const local = this.mediaRate;
    const n = local / 50;
    if (this.inFrame.length !== n) this.inFrame = new Int16Array(n); // only when the local rate changed
    const link = this.rx.rate;
    const res = this.rx.read(link === local ? this.inFrame : this.linkFrame);
    if (res === 'empty') {
      // Counted by the ring (FrameRing.underruns), mirrored into stats by syncRingStats().
      this.inHave = false;
      return true;
    }
    this.stats.framesIn++;
    const lat = Number(process.hrtime.bigint()) / 1e6 - this.rx.lastStampMs;
    this.stats.latencySumMs += lat;
    if (lat > this.stats.latencyMaxMs) this.stats.latencyMaxMs = lat;
    this.inHave = res === 'audio';
    // Silence goes through the resampler too, so its state stays continuous.
    if (link !== local) this.inFrame.set(this.down.convert(this.linkFrame, link, local));
    return true;
  }

  /** Tick phase 2 (after the conferences' pushInputs, before the endpoints send): our side's frame to the far side. */
  pushOutbound(): void {
    if (this.closed || !this.attached) return;
    let frame: Int16Array | undefined;
    if (this.conference) {
      this.conference.room.mixFor(this.conference.key, this.mixOut);
      frame = this.mixOut;
    } else if (this.peer && this.peer.inHave && !this.peer.muted) {
      frame = this.peer.inFrame;
    }
    const stamp = Number(process.hrtime.bigint()) / 1e6;
    const link = this.tx.rate;
    if (frame && frame.length * 50 !== link) frame = this.up.convert(frame, frame.length * 50, link, frame.length);
    this.tx.write(frame, frame !== undefined, stamp);
    this.stats.framesOut++;
  }

  /** End the link: mark both rings closed (the far relay closes on its next tick) and detach locally. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rx.close();
    this.tx.close();
    this.syncRingStats();
    if (this.peer) {
      if (this.peer.peer === this) this.peer.peer = undefined;
      this.peer = undefined;
    }
    this.conference?.room.leave(this);
    this.inHave = false;
  }

  /** Copy the rings' shared counters (underruns, dropped, shed) into `stats`; for load reports, not per tick. */
  syncRingStats(): void {
    this.stats.underruns = this.rx.underruns;
    this.stats.dropped = this.tx.dropped;
    this.stats.shed = this.rx.shed;
  }
}
