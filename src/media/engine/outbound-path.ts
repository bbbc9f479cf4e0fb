/**
 * Tick phase 2 of one RtpEndpoint, and the operations that feed it: produce this tick's frame
 * (in priority order: a play operation, queued stream-in audio, the conference mix, the bridged
 * peer, echo, or silence), record and stream it with what the leg heard, then encode and send it
 * — or the queued DTMF events instead (RFC 4733) — and send RTCP when due.
 *
 * Two ways a prompt frame leaves earlier than the full path sends it, both here because they
 * share its state (the play operation, the frame read ahead, the RTP timestamp):
 * - the prepared packet: prepareOutbound() builds the next tick's packet right after this tick's
 *   sends, and hands it to the native pacer when there is one (docs/adr/0006-native-rtp-pacer.md),
 *   so the tick itself is only send(2) — or nothing;
 * - start-now: sendFirstFrameNow() sends a new prompt's first frame at once instead of on the
 *   next tick.
 * Whatever changes what goes out (a command) takes a prepared packet back (dropPrepared), and the
 * frame's audio is replayed on the full path so no 20 ms of a prompt are lost.
 *
 * Sending happens only on the tick (pacing) or in start-now; never from a timer of its own. The
 * per-tick path allocates nothing in steady state except what dgram itself allocates per send.
 */
import type { AudioSource } from '../audio.ts';
import type { ConferenceRoom } from './conference-room.ts';
import type { BridgePeer } from './relay-endpoint.ts';
import type { EndpointCodec } from './endpoint-codec.ts';
import type { OperationResult } from './endpoint-types.ts';
import type { EndpointHost, RecorderLike } from './endpoint-host.ts';
import type { EndpointStreams } from './endpoint-streams.ts';
import type { RtpLatch } from './rtp-latch.ts';
import type { RtcpSession } from './rtcp-session.ts';
import type { RtpSender } from './rtp-sender.ts';
import { DtmfSender } from './dtmf-sender.ts';
import { FrameConverter } from './frame-converter.ts';

/** What the outbound path reads from its endpoint every tick (RtpEndpoint satisfies it). */
export interface OutboundSources {
  /** This tick's inbound frame and whether it holds audio (inbound-path.ts fills it). */
  readonly inFrame: Int16Array;
  readonly inHave: boolean;
  readonly peer: BridgePeer | undefined;
  readonly conference: { room: ConferenceRoom; key: string } | undefined;
}

interface PlayOp {
  id: number;
  source: AudioSource;
  bargeIn?: 'dtmf' | 'speech' | 'any';
}

interface RecordOp {
  id: number;
  rec: RecorderLike;
  channels: 1 | 2;
  /** Paused (setRecordPaused): nothing is written, so the file and durationMs skip this time. */
  paused: boolean;
}

export interface OutboundConfig {
  codec: EndpointCodec;
  payloadType: number;
  /** telephone-event payload type; undefined: not negotiated (no DTMF sending). */
  tePt: number | undefined;
  /** telephone-event clock rate (the DTMF sender's timestamps). */
  teRate: number;
  /** The direction lets us send (sendrecv or sendonly). */
  sending: boolean;
  /** Send silence frames when there is nothing to say (else the stream pauses, RFC 3551 §4.1). */
  sendSilence: boolean;
  frameSamples: number;
}

export class OutboundPath {
  /** Kept current by the endpoint (configure() on every update()), like the receiver's. */
  private codec: EndpointCodec;
  private payloadType: number;
  private tePt: number | undefined;
  private sending: boolean;
  private readonly sendSilence: boolean;

  private play: PlayOp | undefined;
  private record: RecordOp | undefined;
  echo = false;
  private readonly dtmfSender: DtmfSender;
  /** Our media rate (Hz), and the converter for a bridged peer's frames at another rate. */
  private readonly rate: number;
  private readonly bridgeIn = new FrameConverter();
  /** Frames sent as silence (nothing to say), for EndpointStats. */
  silenceFrames = 0;

  private readonly outFrame: Int16Array;
  private readonly zero: Int16Array;
  /** Scratch for mixes of heard + sent (mono recording, mixed stream). */
  private readonly mixFrame: Int16Array;

  /**
   * Start-now prompts (sendFirstFrameNow): due time of the last tick that ran our outbound phase
   * (monotonic ms; -Infinity before the first), and whether our RTP timestamp currently runs one
   * frame ahead of the tick grid because a prompt's first frame took the next tick's slot early.
   */
  private lastTickMs = -Infinity;
  private tsLead = false;
  /**
   * The next tick's prompt packet, built ahead by prepareOutbound() (after this tick's sends) so
   * the send burst at the top of the tick is only send(2): the burst is what spreads the calls'
   * send times inside a tick. Valid only for the play op it was read from and while nothing that
   * goes into the packet changed (every command that could change it clears it).
   */
  private prepared: PlayOp | undefined;
  /** Length of the prepared packet, or -1: the source had ended (fields, not an object: no allocation per tick). */
  private preparedLen = 0;
  /**
   * The prepared packet was handed to the native pacer (rtp-sender.ts submitWritten), which sends
   * it at the next tick's due time whatever this worker is doing then. Until it has left it can
   * be taken back; once it has, the tick only does the bookkeeping.
   */
  private preparedPaced = false;
  /**
   * A prepared packet could not be taken back from the pacer (it had just left) when a command
   * changed what this endpoint sends: the next tick's frame is out, so that tick sends nothing
   * more (it still records, streams and advances the timestamp). Only in the ~1 ms between the
   * pacer's send and the worker's tick.
   */
  private aheadSent = false;
  /**
   * The prepared frame's audio (in outFrame) was not sent (the packet was dropped or taken back
   * because something else changed): the next produce() plays it instead of reading a new frame,
   * so no 20 ms of the prompt are lost.
   */
  private replayFrame = false;

  constructor(
    private readonly src: OutboundSources,
    private readonly tx: RtpSender,
    private readonly latch: RtpLatch,
    private readonly rtcp: RtcpSession,
    private readonly streams: EndpointStreams,
    private readonly host: EndpointHost,
    cfg: OutboundConfig,
  ) {
    this.codec = cfg.codec;
    this.payloadType = cfg.payloadType;
    this.tePt = cfg.tePt;
    this.sending = cfg.sending;
    this.sendSilence = cfg.sendSilence;
    this.dtmfSender = new DtmfSender(cfg.teRate);
    this.rate = cfg.frameSamples * 50;
    this.outFrame = new Int16Array(cfg.frameSamples);
    this.zero = new Int16Array(cfg.frameSamples);
    this.mixFrame = new Int16Array(cfg.frameSamples);
  }

  /** The endpoint's codec, payload types, telephone-event rate or direction may have changed (a re-INVITE). */
  configure(codec: EndpointCodec, payloadType: number, tePt: number | undefined, sending: boolean, teRate?: number): void {
    this.codec = codec;
    this.payloadType = payloadType;
    this.tePt = tePt;
    this.sending = sending;
    if (teRate !== undefined) this.dtmfSender.setClockRate(teRate);
  }

  // ---- operations --------------------------------------------------------------------------

  /** Start playing `source` as operation `opId`; a play already running is cancelled. */
  startPlay(opId: number, source: AudioSource, bargeIn?: 'dtmf' | 'speech' | 'any'): void {
    this.stopPlay('cancelled');
    this.dropPrepared();
    this.play = { id: opId, source, bargeIn };
  }

  private stopPlay(reason: OperationResult['reason'], error?: string): void {
    const p = this.play;
    if (!p) return;
    this.dropPrepared();
    this.play = undefined;
    this.replayFrame = false;
    p.source.close();
    this.host.opDone(p.id, error ? { reason, error } : { reason });
  }

  /** A DTMF digit or the start of speech was heard: stop a play that allows barging in on it. */
  bargeIn(on: 'dtmf' | 'speech'): void {
    const b = this.play?.bargeIn;
    if (b === on || b === 'any') this.stopPlay('barge-in');
  }

  startRecord(opId: number, rec: RecorderLike, channels: 1 | 2): void {
    void this.stopRecord('cancelled');
    this.record = { id: opId, rec, channels, paused: false };
  }

  private async stopRecord(reason: OperationResult['reason']): Promise<void> {
    const r = this.record;
    if (!r) return;
    this.record = undefined;
    try {
      const res = await r.rec.close();
      this.host.opDone(r.id, { reason, durationMs: res.durationMs, bytes: res.bytes, truncated: res.truncated });
    } catch (err) {
      this.host.opDone(r.id, { reason: 'error', error: (err as Error).message });
    }
  }

  /**
   * Pause or resume recording operation `opId`: while paused no frame is written (the same file
   * continues on resume, and the reported durationMs excludes the pause). False when `opId` is not
   * the running recording (finished, cancelled, unknown) — then nothing changes.
   */
  setRecordPaused(opId: number, paused: boolean): boolean {
    if (this.record?.id !== opId) return false;
    this.record.paused = paused;
    return true;
  }

  /** Cancel operation `opId` if it runs here; false if unknown (already done). */
  cancel(opId: number): boolean {
    if (this.play?.id === opId) {
      this.stopPlay('cancelled');
      return true;
    }
    if (this.record?.id === opId) {
      void this.stopRecord('cancelled');
      return true;
    }
    return false;
  }

  stopAll(): void {
    this.stopPlay('cancelled');
    void this.stopRecord('cancelled');
  }

  /** Queue RFC 4733 events; the play (if any) goes on after them with the frame it had read. */
  sendDtmf(digits: string, durationMs: number, done: () => void): void {
    this.dropPrepared(true);
    this.dtmfSender.enqueue({ digits, durationMs, gapMs: 60, done });
  }

  /** End every operation (the endpoint closes); resolves when the recording is closed. */
  close(): Promise<void> {
    this.stopPlay('cancelled');
    const rec = this.stopRecord('cancelled');
    this.dtmfSender.clear();
    return rec;
  }

  // ---- tick phase 2 ------------------------------------------------------------------------

  /**
   * True when this tick's outbound frame depends on this tick's inbound audio (bridge, echo,
   * conference, recording, streaming). The worker runs those after the inbound phase; every
   * other endpoint (a prompt, silence) sends first, at the top of the tick, so its send time
   * does not move with how long the other calls' inbound work took — that variation is jitter.
   */
  get needsInbound(): boolean {
    return this.src.peer !== undefined || this.echo || this.src.conference !== undefined || this.record !== undefined || this.streams.out !== undefined;
  }

  /** Produce and send this tick's frame (or DTMF packets), record, stream out, and send RTCP when due. */
  pushOutbound(nowMs: number): void {
    this.lastTickMs = nowMs;
    if (this.aheadSent) {
      this.aheadSent = false;
      this.pushOutboundSlow(nowMs, true);
      return;
    }
    const pre = this.prepared;
    if (pre !== undefined) {
      const paced = this.preparedPaced;
      this.prepared = undefined;
      this.preparedPaced = false;
      // Anything started since prepareOutbound() (recording, bridge, DTMF …) takes the full path.
      if (pre === this.play && this.canSendPrepared() && !this.needsInbound && !this.streams.in && !this.dtmfSender.busy) {
        if (this.preparedLen < 0) {
          this.stopPlay('finished'); // on the tick it would have ended without preparing
        } else {
          this.sendPrepared(this.preparedLen, nowMs, paced);
          return;
        }
      } else if (this.preparedLen >= 0) {
        if (paced && !this.tx.cancelPaced()) {
          // It left at the due time already: this tick's frame is out; record/stream it, send nothing more.
          this.pushOutboundSlow(nowMs, true, pre === this.play ? this.outFrame : undefined);
          return;
        }
        // Not sent: the same prompt plays the frame it had read, through the full path.
        if (pre === this.play) this.replayFrame = true;
      }
    }
    this.pushOutboundSlow(nowMs);
  }

  /**
   * Forget the prepared packet (a command changes what goes out). A packet already handed to the
   * pacer is taken back when it has not left; if it has, the next tick sends nothing more
   * (aheadSent). `keepAudio`: the play goes on unchanged (e.g. DTMF queued), so the frame's audio
   * is played on the full path instead of being skipped.
   */
  dropPrepared(keepAudio = false): void {
    if (this.prepared === undefined) return;
    const paced = this.preparedPaced;
    this.prepared = undefined;
    this.preparedPaced = false;
    if (paced && !this.tx.cancelPaced()) {
      this.aheadSent = true;
      return;
    }
    if (keepAudio && this.preparedLen >= 0) this.replayFrame = true;
  }

  /**
   * Build the next tick's packet now (call after this tick's sends): only for a plain prompt —
   * a play op and nothing else feeding or following the frame (no stream-in, bridge, echo,
   * conference, recording, streaming; no DTMF queued) — else nothing is prepared.
   */
  prepareOutbound(dueMs?: number): void {
    if (this.prepared !== undefined || this.aheadSent || this.replayFrame || !this.play || this.streams.in || this.needsInbound || !this.canSendPrepared()) return;
    if (this.tePt !== undefined && this.dtmfSender.busy) return;
    const op = this.play;
    if (!op.source.read(this.outFrame)) {
      this.prepared = op;
      this.preparedLen = -1;
      return;
    }
    const bytes = this.codec.encode(this.outFrame, this.tx.payload);
    if (bytes <= 0) return; // the slow path will read the next frame: this one is skipped (codec refused it)
    const len = this.tx.write(this.payloadType, this.tx.marker, this.tx.ts, bytes);
    this.prepared = op;
    this.preparedLen = len;
    // With the native pacer it leaves at its due time from the pacer's thread, not from our tick.
    this.preparedPaced = dueMs !== undefined && this.tx.canPace && this.tx.submitWritten(len, dueMs);
  }

  private canSendPrepared(): boolean {
    return this.tx.connected && this.sending;
  }

  /** Send the packet prepareOutbound() wrote into the sender's current buffer (unless the pacer has it), then the rest of pushOutbound's bookkeeping. */
  private sendPrepared(len: number, nowMs: number, paced: boolean): void {
    const tx = this.tx;
    if (!paced) tx.sendWritten(len); // a socket closing loses the frame, as in the slow path
    tx.marker = false;
    tx.ts = (tx.ts + this.outFrame.length) >>> 0;
    this.rtcp.tick(nowMs);
  }

  /**
   * The full outbound path. `alreadySent`: this tick's packet left through the pacer before a
   * command changed things (aheadSent): record and stream `sentAudio` (the frame that left, when
   * known), advance the timestamp, send nothing.
   */
  private pushOutboundSlow(nowMs: number, alreadySent = false, sentAudio?: Int16Array): void {
    const out = alreadySent ? sentAudio : this.produce();
    const heard = this.src.inHave ? this.src.inFrame : this.zero;
    if (this.record && !this.record.paused) {
      const r = this.record;
      try {
        if (r.channels === 2) r.rec.writeStereo(heard, out ?? this.zero);
        else r.rec.writeMono(out ? this.mix(heard, out) : heard);
        if (r.rec.isTruncated) void this.stopRecord('finished');
      } catch {
        // Disk full or the like: the recorder closed its file; the call goes on.
        void this.stopRecord('error');
      }
    }
    const so = this.streams.out;
    if (so) this.streams.pushOut(so, this.streams.mixed && out ? this.mix(heard, out) : heard);
    const target = this.latch.target();
    const canSend = !alreadySent && target !== undefined && this.sending;
    if (alreadySent) this.tx.marker = false; // the packet that left carried the marker when one was due
    if (canSend) {
      const te = this.tePt !== undefined ? this.dtmfSender.next(nowMs, this.tx.ts) : undefined;
      if (te) {
        for (const p of te) {
          this.tx.payload.set(p.payload);
          this.tx.send(target, this.tePt!, p.marker, p.timestamp, p.payload.length);
        }
        this.tx.marker = true; // audio after an event starts a new talkspurt
      } else if (!out && this.tsLead) {
        // Nothing to say after a start-now prompt: skip this one frame (timestamp not advanced) so
        // the stream is back on the tick grid; the next packet starts a talkspurt.
        this.tsLead = false;
        this.tx.marker = true;
        this.rtcp.tick(nowMs);
        return;
      } else if (out || this.sendSilence) {
        const frame = out ?? this.zero;
        if (!out) this.silenceFrames++;
        const bytes = this.codec.encode(frame, this.tx.payload);
        if (bytes > 0) {
          this.tx.send(target, this.payloadType, this.tx.marker, this.tx.ts, bytes);
          this.tx.marker = false;
        }
      } else {
        this.tx.marker = true; // silence suppressed: the next audio starts a talkspurt (RFC 3551 §4.1)
      }
    }
    this.tx.ts = (this.tx.ts + this.outFrame.length) >>> 0;
    this.rtcp.tick(nowMs);
  }

  /**
   * Send a newly started prompt's first frame now instead of on the next tick (which is up to
   * 20 ms away): the "play command → first packet" latency then no longer includes the tick phase.
   *
   * RTP timing stays valid (RFC 3550 §5.1, RFC 3551 §4.1): the frame carries the NEXT tick's
   * sequence number and timestamp, with the marker bit (a new talkspurt: a receiver may re-anchor
   * its playout on it), so it is merely early — the timestamps neither overlap the frame already
   * sent for this tick nor step back. The following frames keep the worker's tick grid, one frame
   * ahead of their usual timestamp (a constant 20 ms "early", which a receiver's jitter buffer sees
   * as one step of transit time, not as jitter). That lead is given back on the first tick after
   * the prompt with nothing to say (one silence frame is skipped, the timestamp not advanced), and
   * while it is held no other play starts early, so it never exceeds one frame.
   *
   * Only when the frame is a plain prompt and the next tick is more than `minLeadMs` away
   * (closer than that, the tick sends it about as soon). Returns whether it sent.
   *
   * `tickLagMs`: how far behind its due time the worker's ticker actually ran our last tick.
   * lastTickMs is the tick's DUE time (the grid); on a loaded machine the ticker runs behind
   * the grid (it wins back at most 1 ms per tick, or re-anchors beyond 60 ms), and then `nowMs −
   * lastTickMs` overstated the time since the tick by that lag — a play arriving 2 ms after a tick
   * that ran 20 ms late looked like "next tick overdue" and waited up to a whole frame for it (the
   * p99 tail of play → first RTP measured with silent callers, docs/benchmarks.md). The next tick
   * runs about 20 ms after the last one actually RAN, so that is what the window is measured from.
   */
  sendFirstFrameNow(nowMs: number, minLeadMs: number, tickLagMs: number): boolean {
    const p = this.play;
    if (p === undefined || this.tsLead || this.streams.in || this.needsInbound) return false;
    if (!this.sending) return false;
    // Connected (latched) or not yet: before the peer's first packet we send to the signaled
    // address, exactly as the tick's slow path does — a caller that stays silent until the
    // prompt (no RTP yet) must hear it as soon as one who already talks.
    const to = this.tx.connected ? undefined : this.latch.target();
    if (!this.tx.connected && to === undefined) return false;
    if (this.tePt !== undefined && this.dtmfSender.busy) return false;
    // A packet prepared for the next tick is taken back (its audio belongs to the old prompt);
    // if the pacer has sent it already, the next tick's slot is taken: no early start.
    this.dropPrepared();
    if (this.aheadSent) return false;
    const sinceTick = nowMs - this.lastTickMs - (tickLagMs > 0 ? tickLagMs : 0);
    if (!(sinceTick >= 0 && sinceTick < 20 - minLeadMs)) return false;
    if (!p.source.read(this.outFrame)) {
      this.stopPlay('finished');
      return false;
    }
    const bytes = this.codec.encode(this.outFrame, this.tx.payload);
    if (bytes <= 0) return false;
    const tx = this.tx;
    if (!tx.sendWritten(tx.write(this.payloadType, true, tx.ts, bytes), to)) {
      tx.marker = true; // socket closing: a lost packet to the peer; the next one starts a talkspurt
      return false;
    }
    tx.ts = (tx.ts + this.outFrame.length) >>> 0;
    tx.marker = false;
    this.tsLead = true;
    return true;
  }

  /** heard + sent, saturated, into the scratch mix frame. */
  private mix(a: Int16Array, b: Int16Array): Int16Array {
    const m = this.mixFrame;
    for (let i = 0; i < m.length; i++) {
      const v = a[i] + b[i];
      m[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    return m;
  }

  /** This tick's outbound audio, or undefined for "nothing to say". */
  private produce(): Int16Array | undefined {
    if (this.play) {
      if (this.replayFrame) {
        // The frame read ahead for a packet that did not go out: play it now (outFrame still holds it).
        this.replayFrame = false;
        return this.outFrame;
      }
      const ok = this.play.source.read(this.outFrame);
      if (ok) return this.outFrame;
      this.stopPlay('finished');
    }
    const si = this.streams.in;
    if (si) {
      // Read every tick (marks fire on reads); silence from an empty queue falls through.
      si.read(this.outFrame);
      if (si.playing) return this.outFrame;
    }
    const conf = this.src.conference;
    if (conf) {
      conf.room.mixFor(conf.key, this.outFrame);
      return this.outFrame;
    }
    // A muted peer's audio is not forwarded: we send silence (and record/stream only our side).
    const peer = this.src.peer;
    if (peer) {
      if (peer.mediaRate === this.rate) return peer.inHave && !peer.muted ? peer.inFrame : undefined;
      if (!peer.inHave || peer.muted) {
        this.bridgeIn.reset(); // its audio resumes from silence, not from the filter's stale history
        return undefined;
      }
      // A peer at another rate (an Opus leg bridged to a G.711 one): its frame converted to ours.
      this.outFrame.set(this.bridgeIn.convert(peer.inFrame, peer.mediaRate, this.rate));
      return this.outFrame;
    }
    if (this.echo && this.src.inHave) return this.src.inFrame;
    return undefined;
  }
}
