/**
 * One leg's media inside a worker: its RTP (and RTCP) socket(s), the codec, symmetric RTP with
 * anti-hijack latching, the inbound adaptive jitter buffer, DTMF detection and sending, VAD,
 * recording, streaming out/in, RTCP SR/RR with RTT, and whatever produces the outbound audio
 * (in priority order: a play operation, queued stream-in audio, the conference mix, the
 * bridged peer, echo, or silence). It never owns a timer: the worker's Ticker calls `pullInbound` on every endpoint,
 * then `pushOutbound` on every endpoint, every 20 ms — two phases so a bridged peer's frame of
 * this tick is ready whichever endpoint ticks first.
 *
 * Split by concern: the receive path is rtp-receiver.ts, the send side (seq/timestamp/marker,
 * buffers, the connect()ed socket) rtp-sender.ts, RTCP rtcp-session.ts; the tick's inbound phase
 * (jitter buffer → detectors, VAD) inbound-path.ts, its outbound phase with the operations that
 * feed it (play, DTMF, recording; the prepared packet and start-now) outbound-path.ts, streaming
 * to/from the main thread endpoint-streams.ts. This class owns the lifecycle and the sockets,
 * and turns the worker's commands into changes of those parts.
 *
 * Sending happens only on the tick (pacing); receiving on socket events (decode into a scratch
 * frame, copied into the jitter buffer). The per-packet path allocates nothing in steady state
 * except what dgram itself allocates per send (and one subarray view per Opus packet).
 *
 * Jitter buffer choice: ONE adaptive JitterBuffer (src/media/jitter) feeds every consumer —
 * detectors, VAD, recorder, streaming, conference, bridge and echo — replacing the fixed
 * 2-frame reorder ring. It runs at the ring's 40 ms on a clean network (its floor: bridge/echo
 * latency is never worse than before), grows up to 200 ms only when packets really arrive late
 * (where the ring dropped them), and conceals losses (faded repeat) so recordings and
 * recognizers get no holes. One buffer per leg keeps the per-packet cost and memory single.
 *
 * Lifecycle:
 * ```
 *  open() ──▶ open ──close()──▶ closed   (ops complete 'cancelled', sockets closed, 'closed' emitted)
 * ```
 */
import type { Socket } from 'node:dgram';
import type { AudioSource } from '../audio.ts';
import { frameSamples } from '../audio.ts';
import { isRtcp } from '../rtp/index.ts';
import { DtmfDetectors } from './dtmf-detectors.ts';
import type { ConferenceRoom } from './conference-room.ts';
import type { BridgePeer } from './relay-endpoint.ts';
import { createEndpointCodec, checkCodec, type EndpointCodec } from './endpoint-codec.ts';
import type {
  CodecSpec, DetectOptions, DtmfEventData, EndpointOptions, EndpointStats, EndpointUpdate, MediaDirection, RemoteSpec, StreamOptions,
} from './endpoint-types.ts';
import type { EndpointHost, RecorderLike, VadLike } from './endpoint-host.ts';
import { bindRtpSockets } from './endpoint-sockets.ts';
import { endpointStats } from './endpoint-stats.ts';
import { EndpointStreams } from './endpoint-streams.ts';
import { InboundPath } from './inbound-path.ts';
import { OutboundPath } from './outbound-path.ts';
import type { RtpLatch } from './rtp-latch.ts';
import { RtpReceiver } from './rtp-receiver.ts';
import { RtcpSession } from './rtcp-session.ts';
import { RtpSender } from './rtp-sender.ts';

export type { EndpointEventMap, EndpointEventName, EndpointHost, RecorderLike, VadLike } from './endpoint-host.ts';

/**
 * The jitter buffer never adapts below 40 ms (the old fixed ring's delay): at 20 ms a peer whose
 * clock or send phase wobbles by a millisecond underruns, and each underrun/skip shifts the
 * audio by a frame (heard as a click, and it breaks a recording's alignment).
 */
const JB_MIN_DELAY_MS = 40;

function sends(d: MediaDirection): boolean {
  return d === 'sendrecv' || d === 'sendonly';
}

export class RtpEndpoint {
  readonly localPort: number;
  readonly localRtcpPort: number;
  private codecSpec: CodecSpec;
  private codec: EndpointCodec;
  private tePt: number | undefined;
  private direction: MediaDirection;
  private readonly rtcpMux: boolean;
  private remote: RemoteSpec | undefined;
  closed = false;

  /** The outbound RTP stream: SSRC, seq, timestamp, marker, buffers, the connect()ed socket (rtp-sender.ts). */
  private readonly tx: RtpSender;
  readonly ssrc: number;
  private readonly cname: string;

  /** The receive path: latch, receiver stats, jitter buffer, decode (rtp-receiver.ts). */
  private readonly rx: RtpReceiver;
  private readonly latch: RtpLatch;
  /** Tick phase 1: jitter buffer → detectors, VAD; RTP timeout (inbound-path.ts). */
  private readonly inbound: InboundPath;
  /** This tick's inbound frame (out of the jitter buffer) and whether it holds audio (received or concealed). */
  inFrame: Int16Array;
  inHave = false;
  /** Tick phase 2 and the operations feeding it: play, DTMF, recording, echo (outbound-path.ts). */
  private readonly out: OutboundPath;
  /** Stream-out to and stream-in from the main thread (endpoint-streams.ts). */
  private readonly streams: EndpointStreams;
  private readonly detectors: DtmfDetectors;
  /**
   * Muted at the engine (EndpointUpdate.muted): what we receive is not passed on — the bridged
   * peer sends silence instead of it, the conference leaves it out of the mix. Our own detectors,
   * VAD, recorder and stream-out still get it (they read inFrame directly).
   */
  muted = false;
  /** The bridged endpoint (same worker), or a relay to one in another worker (relay-endpoint.ts): we send what it receives. */
  peer: BridgePeer | undefined;
  /** The conference this endpoint is in (same worker): we send its mix-minus for us. */
  conference: { room: ConferenceRoom; key: string } | undefined;
  /** RTCP reports out and in (rtcp-session.ts). */
  private readonly rtcp: RtcpSession;

  private constructor(
    private readonly rtpSocket: Socket,
    private readonly rtcpSocket: Socket | undefined,
    opts: EndpointOptions,
    private readonly host: EndpointHost,
    nowMs: number,
    mayConnect = false,
  ) {
    this.localPort = rtpSocket.address().port;
    this.localRtcpPort = rtcpSocket ? rtcpSocket.address().port : this.localPort;
    this.rtcpMux = rtcpSocket === undefined;
    if ((opts.ptime ?? 20) !== 20) throw new Error('only ptime 20 is supported');
    this.codecSpec = opts.codec;
    this.codec = createEndpointCodec(opts.codec);
    this.tePt = opts.telephoneEvent?.payloadType;
    const teRate = opts.telephoneEvent?.clockRate ?? opts.codec.clockRate;
    this.direction = opts.direction ?? 'sendrecv';
    const n = frameSamples(opts.codec.clockRate);
    this.inFrame = new Int16Array(n);
    const maxPayload = Math.max(n * 2, this.codec.maxPayload);
    this.tx = new RtpSender(rtpSocket, maxPayload, mayConnect, () => this.closed);
    this.ssrc = this.tx.ssrc;
    this.cname = `sb-${this.ssrc.toString(16)}`;
    this.detectors = new DtmfDetectors((ev) => this.onDtmf(ev), teRate);
    this.detectors.configure({ rfc4733: true, inband: false, audioRate: opts.codec.clockRate });
    this.rx = new RtpReceiver({
      rate: opts.codec.clockRate, frameSamples: n, jitter: { rate: opts.codec.clockRate, minDelayMs: JB_MIN_DELAY_MS, ...opts.jitter },
      codec: this.codec, audioPt: opts.codec.payloadType, tePt: this.tePt,
    }, this.detectors, nowMs);
    this.rx.receiving = this.direction === 'sendrecv' || this.direction === 'recvonly';
    this.latch = this.rx.latch;
    this.inbound = new InboundPath(this.rx, this.detectors, this.inFrame, (opts.rtpTimeoutS ?? 30) * 1000, host, (v) => this.onVad(v));
    this.rtcp = new RtcpSession({
      ssrc: this.ssrc, cname: this.cname, rtcpMux: this.rtcpMux, stats: this.rx.stats,
      target: () => this.latch.target(),
      latchState: () => this.latch.state,
      remote: () => this.remote,
      remoteSsrc: () => this.rx.remoteSsrc,
      sentPackets: () => this.tx.packetsOut,
      sentBytes: () => this.tx.bytesOut,
      rtpTimestamp: () => this.tx.ts,
      clockRate: () => this.codecSpec.clockRate,
      wallNow: () => this.host.wallNow(),
      sendDatagram: (buf, port, address, sent) => this.tx.sendDatagram(this.rtcpSocket ?? this.rtpSocket, buf, port, address, sent),
    }, nowMs, opts.rtcpIntervalMs);
    this.streams = new EndpointStreams(host);
    this.out = new OutboundPath(this, this.tx, this.latch, this.rtcp, this.streams, host, {
      codec: this.codec, payloadType: opts.codec.payloadType, tePt: this.tePt, teRate,
      sending: sends(this.direction), sendSilence: opts.sendSilence ?? true, frameSamples: n,
    });
    this.setRemote(opts.remote, nowMs);
    rtpSocket.on('message', (msg, rinfo) => this.onRtpSocket(msg, rinfo.address, rinfo.port));
    rtpSocket.on('error', () => {});
    rtcpSocket?.on('message', (msg, rinfo) => { if (!this.closed) this.rtcp.receive(msg, rinfo.address); });
    rtcpSocket?.on('error', () => {});
  }

  /**
   * Bind sockets and create the endpoint. `rtpPort` even (RFC 3550 §11) with RTCP on
   * rtpPort + 1, or one port with rtcp-mux. Throws (EADDRINUSE …) when a port is taken.
   */
  static async open(rtpPort: number, bindAddress: string, opts: EndpointOptions, host: EndpointHost, nowMs: number): Promise<RtpEndpoint> {
    checkCodec(opts.codec); // validate before binding anything
    const mux = opts.rtcpMux ?? opts.remote?.rtcpMux ?? false;
    const { rtp, rtcp } = await bindRtpSockets(rtpPort, bindAddress, mux);
    return new RtpEndpoint(rtp, rtcp, opts, host, nowMs, rtpPort !== 0);
  }

  private now(): number {
    return Number(process.hrtime.bigint()) / 1e6;
  }

  private setRemote(remote: RemoteSpec | undefined, nowMs: number): void {
    this.remote = remote;
    this.latch.reset(remote?.address, remote?.port ?? 0, nowMs);
    // A new remote reopens the latch window: strangers must reach the latch again.
    this.tx.disconnect();
  }

  /** connect() the RTP socket to the latch target once the latch has settled (signaled or latched). */
  private connectRtp(): void {
    const t = this.latch.target();
    if (t) this.tx.connect(t);
  }

  // ---- commands ----------------------------------------------------------------------------

  update(u: EndpointUpdate): void {
    const now = this.now();
    this.out.dropPrepared();
    if (u.codec && (u.codec.name.toUpperCase() !== this.codecSpec.name.toUpperCase() || u.codec.payloadType !== this.codecSpec.payloadType)) {
      checkCodec(u.codec);
      if (u.codec.clockRate !== this.codecSpec.clockRate) throw new Error('changing the media rate mid-call is not supported');
      const c = createEndpointCodec(u.codec);
      this.codec.close();
      this.codec = c;
      this.codecSpec = u.codec;
    } else if (u.codec) {
      this.codecSpec = u.codec;
    }
    let teRate: number | undefined;
    if (u.telephoneEvent) {
      this.tePt = u.telephoneEvent.payloadType;
      // RFC 4733 §2.1: the event clock is the one negotiated for telephone-event (often the audio's).
      teRate = u.telephoneEvent.clockRate ?? this.codecSpec.clockRate;
      this.detectors.setTeClockRate(teRate);
    }
    if (u.direction) this.direction = u.direction;
    this.rx.codec = this.codec;
    this.rx.audioPt = this.codecSpec.payloadType;
    this.rx.tePt = this.tePt;
    this.rx.receiving = this.direction === 'sendrecv' || this.direction === 'recvonly';
    this.out.configure(this.codec, this.codecSpec.payloadType, this.tePt, sends(this.direction), teRate);
    if (u.muted !== undefined) this.muted = u.muted;
    if (u.remote && (u.remote.address !== this.remote?.address || u.remote.port !== this.remote?.port)) {
      this.setRemote(u.remote, now);
      this.tx.marker = true;
    } else if (u.remote) {
      this.remote = u.remote;
    }
  }

  /** Start playing `source` as operation `opId`; a play already running is cancelled. */
  startPlay(opId: number, source: AudioSource, bargeIn?: 'dtmf' | 'speech' | 'any'): void {
    if (source.rate !== this.codecSpec.clockRate) {
      source.close();
      throw new Error(`source rate ${source.rate} Hz differs from the media rate ${this.codecSpec.clockRate} Hz`);
    }
    this.out.startPlay(opId, source, bargeIn);
  }

  startRecord(opId: number, rec: RecorderLike, channels: 1 | 2): void {
    this.out.startRecord(opId, rec, channels);
  }

  /** Pause or resume recording `opId` (outbound-path.ts); false when it is not the running recording. */
  setRecordPaused(opId: number, paused: boolean): boolean {
    return this.out.setRecordPaused(opId, paused);
  }

  /** Start streaming out (replaces a running stream): 20 ms chunks at `opts.rate` through host.streamAudio. */
  startStream(opts: StreamOptions): void {
    this.streams.startOut(opts, this.codecSpec.clockRate);
  }

  stopStream(): void {
    this.streams.stopOut();
  }

  /** The main thread has consumed `batches` stream-out batches. */
  streamAck(batches: number): void {
    this.streams.ack(batches);
  }

  /** Queue PCM (16 or 24 kHz) for playout after what is queued; plays whenever no play operation runs. */
  streamInAudio(pcm: Int16Array, rate: 16000 | 24000): void {
    this.streams.inAudio(pcm, rate, this.codecSpec.clockRate);
  }

  /** Mark the end of the queued stream-in audio: 'mark' fires once it has been played. */
  markStream(name: string): void {
    this.streams.mark(name);
  }

  /** Drop queued stream-in audio (barge-in); pending marks fire with cleared = true. */
  clearStream(): void {
    this.streams.clear();
  }

  /** Add a VAD (when none runs) so speech barge-in works without an explicit detect(). */
  ensureVad(vad: VadLike): void {
    if (this.inbound.hasVad || this.closed) {
      vad.close();
      return;
    }
    this.inbound.setVad(vad);
  }

  get hasVad(): boolean {
    return this.inbound.hasVad;
  }

  /** Cancel operation `opId` if it runs here; false if unknown (already done). */
  cancel(opId: number): boolean {
    return this.out.cancel(opId);
  }

  stopAll(): void {
    this.out.stopAll();
  }

  sendDtmf(digits: string, durationMs: number, done: () => void): void {
    if (this.tePt === undefined) throw new Error('telephone-event was not negotiated');
    this.out.sendDtmf(digits, durationMs, done);
  }

  injectDtmf(digit: string, durationMs = 0): void {
    this.detectors.injectInfo(digit, durationMs);
  }

  detect(opts: DetectOptions, vad?: VadLike): void {
    this.detectors.configure({ rfc4733: opts.rfc4733 ?? true, inband: opts.inband ?? false, audioRate: this.codecSpec.clockRate });
    if (!opts.vad) this.inbound.setVad(undefined);
    else if (vad) this.inbound.setVad(vad);
  }

  setEcho(on: boolean): void {
    this.out.echo = on;
  }

  get mediaRate(): number {
    return this.codecSpec.clockRate;
  }

  getStats(): EndpointStats {
    return endpointStats({
      rx: this.rx, tx: this.tx, latch: this.latch, rtcp: this.rtcp, clockRate: this.codecSpec.clockRate,
      silenceFrames: this.out.silenceFrames, streamDropped: this.streams.dropped,
    });
  }

  /** Close sockets and end every operation. Idempotent. */
  async close(reason = 'closed'): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const rec = this.out.close(); // play and recording end 'cancelled', queued DTMF is dropped
    this.inbound.setVad(undefined);
    this.conference?.room.leave(this);
    this.streams.close();
    if (this.peer) {
      this.peer.peer = undefined;
      this.peer = undefined;
    }
    // RFC 3550 §6.6: say goodbye so the peer can stop expecting us. The sockets close once the
    // BYE is handed to the kernel (closing at once would drop the queued send).
    if (this.tx.packetsOut > 0) await new Promise<void>((resolve) => { if (!this.rtcp.send(true, resolve)) resolve(); });
    this.tx.close(); // the pacer's slot first: it must not send on a closed socket
    this.rtpSocket.close();
    this.rtcpSocket?.close();
    this.codec.close();
    await rec;
    this.host.emit('closed', { reason });
  }

  private onDtmf(ev: DtmfEventData): void {
    this.host.emit('dtmf', ev);
    this.out.bargeIn('dtmf');
  }

  private onVad(v: 'speech-start' | 'speech-end'): void {
    this.host.emit('speech', { state: v === 'speech-start' ? 'start' : 'end' });
    if (v === 'speech-start') this.out.bargeIn('speech');
  }

  // ---- receive path (socket events) --------------------------------------------------------

  private onRtpSocket(msg: Buffer, address: string, port: number): void {
    if (this.closed) return;
    if (this.rtcpMux && isRtcp(msg)) {
      this.rtcp.receive(msg, address);
      return;
    }
    this.onRtp(msg, address, port, this.now());
  }

  /** One datagram on the RTP port (public for tests that inject packets without sockets). */
  onRtp(msg: Uint8Array, address: string, port: number, nowMs: number): void {
    if (!this.rx.receive(msg, address, port, nowMs)) return;
    this.inbound.rtpArrived();
    if (this.tx.mayConnectNow && this.latch.state !== 'waiting') this.connectRtp();
  }

  // ---- the tick (the worker's Ticker) ------------------------------------------------------

  /** Phase 1: take this tick's inbound frame from the jitter buffer (concealed where lost) and feed detectors and VAD. */
  pullInbound(nowMs: number): void {
    if (this.closed) return;
    this.inHave = this.inbound.pull(nowMs);
  }

  /**
   * True when this tick's outbound frame depends on this tick's inbound audio (bridge, echo,
   * conference, recording, streaming): the worker runs those after the inbound phase, the others
   * (a prompt, silence) first, at the top of the tick (outbound-path.ts).
   */
  get outboundNeedsInbound(): boolean {
    return this.out.needsInbound;
  }

  /** Phase 2: produce and send this tick's frame (or DTMF packets), record, stream out, and send RTCP when due. */
  pushOutbound(nowMs: number): void {
    if (this.closed) return;
    this.out.pushOutbound(nowMs);
  }

  /** Build the next tick's prompt packet now, after this tick's sends (and hand it to the native pacer for `dueMs`); see outbound-path.ts. */
  prepareOutbound(dueMs?: number): void {
    if (this.closed) return;
    this.out.prepareOutbound(dueMs);
  }

  /**
   * Send a newly started prompt's first frame now instead of on the next tick (outbound-path.ts
   * explains why the RTP timing stays valid). Only when the next tick is more than `minLeadMs`
   * (default 2) away; `tickLagMs` (default 0): how far behind its due time the worker's ticker ran
   * our last tick. Returns whether it sent.
   */
  sendFirstFrameNow(nowMs: number, minLeadMs = 2, tickLagMs = 0): boolean {
    if (this.closed) return false;
    return this.out.sendFirstFrameNow(nowMs, minLeadMs, tickLagMs);
  }
}
