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
 * buffers, the connect()ed socket) rtp-sender.ts, RTCP rtcp-session.ts; this class ties them to
 * the tick and the operations.
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
import { createSocket, type Socket } from 'node:dgram';
import type { AudioSource } from '../audio.ts';
import { frameSamples } from '../audio.ts';
import type { JitterBuffer } from '../jitter/index.ts';
import { StreamIn, StreamOut } from '../stream/index.ts';
import { isRtcp, type ReceiverStats } from '../rtp/index.ts';
import { DtmfDetectors } from './dtmf-detectors.ts';
import { DtmfSender } from './dtmf-sender.ts';
import type { ConferenceRoom } from './conference-room.ts';
import type { BridgePeer } from './relay-endpoint.ts';
import { createEndpointCodec, checkCodec, type EndpointCodec } from './endpoint-codec.ts';
import type {
  CodecSpec, DetectOptions, DtmfEventData, EndpointOptions, EndpointStats, EndpointUpdate, MediaDirection, OperationResult, RemoteSpec, StreamOptions,
} from './endpoint-types.ts';
import type { RtpLatch } from './rtp-latch.ts';
import { RtpReceiver } from './rtp-receiver.ts';
import { RtcpSession } from './rtcp-session.ts';
import { RtpSender } from './rtp-sender.ts';

/**
 * The jitter buffer never adapts below 40 ms (the old fixed ring's delay): at 20 ms a peer whose
 * clock or send phase wobbles by a millisecond underruns, and each underrun/skip shifts the
 * audio by a frame (heard as a click, and it breaks a recording's alignment).
 */
const JB_MIN_DELAY_MS = 40;
/** Unacknowledged stream-out batches (one per tick) before the worker holds audio back for a slow consumer. */
const STREAM_CREDIT = 10;

/** What the endpoint tells its host (the worker). */
export interface EndpointEventMap {
  dtmf: DtmfEventData;
  speech: { state: 'start' | 'end' };
  rtpTimeout: { silentMs: number };
  /** Stream-in: the audio queued before mark `name` has been played (cleared: it was discarded instead). */
  mark: { name: string; cleared: boolean };
  closed: { reason: string };
}
export type EndpointEventName = keyof EndpointEventMap;

export interface EndpointHost {
  emit<K extends EndpointEventName>(type: K, data: EndpointEventMap[K]): void;
  opDone(opId: number, result: OperationResult): void;
  /** Wall-clock ms (Date.now) for RTCP NTP timestamps. */
  wallNow(): number;
  /** Stream-out chunks (rate-converted 20 ms frames) for the main thread; the frames are handed over. */
  streamAudio?(frames: Int16Array[]): void;
}

/** The minimal VAD the endpoint drives (src/media/dsp/vad.ts Vad satisfies it). */
export interface VadLike {
  process(frame: Int16Array): 'speech-start' | 'speech-end' | undefined;
  close(): void;
}

/** The minimal recorder the endpoint drives (src/media/record WavRecorder satisfies it). */
export interface RecorderLike {
  writeMono(frame: Int16Array): void;
  writeStereo(left: Int16Array, right: Int16Array): void;
  readonly isTruncated: boolean;
  readonly durationMs: number;
  close(): Promise<{ durationMs: number; bytes: number; truncated: boolean }> | { durationMs: number; bytes: number; truncated: boolean };
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

function bindSocket(port: number, address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type: address.includes(':') ? 'udp6' : 'udp4' });
    const onError = (err: Error) => { s.close(); reject(err); };
    s.once('error', onError);
    s.bind(port, address, () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}

export class RtpEndpoint {
  readonly localPort: number;
  readonly localRtcpPort: number;
  private codecSpec: CodecSpec;
  private codec: EndpointCodec;
  private tePt: number | undefined;
  private teRate: number;
  private direction: MediaDirection;
  private readonly rtcpMux: boolean;
  private remote: RemoteSpec | undefined;
  private readonly rtpTimeoutMs: number;
  private readonly sendSilence: boolean;
  closed = false;

  /** The outbound RTP stream: SSRC, seq, timestamp, marker, buffers, the connect()ed socket (rtp-sender.ts). */
  private readonly tx: RtpSender;
  readonly ssrc: number;
  /**
   * Start-now prompts (sendFirstFrameNow): due time of the last tick that ran our outbound phase
   * (monotonic ms; -Infinity before the first), and whether our RTP timestamp currently runs one
   * frame ahead of the tick grid because a prompt's first frame took the next tick's slot early.
   */
  private lastTickMs = -Infinity;
  private tsLead = false;
  private readonly cname: string;
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

  // Inbound.
  /** The receive path: latch, receiver stats, jitter buffer, decode (rtp-receiver.ts). */
  private readonly rx: RtpReceiver;
  private readonly latch: RtpLatch;
  private readonly stats: ReceiverStats;
  private readonly jb: JitterBuffer;
  private timeoutFired = false;
  /** This tick's inbound frame (out of the jitter buffer) and whether it holds audio (received or concealed). */
  inFrame: Int16Array;
  inHave = false;
  private inTs = 0;
  private readonly outFrame: Int16Array;
  private readonly zero: Int16Array;
  /** Scratch for mixes of heard + sent (mono recording, mixed stream). */
  private readonly mixFrame: Int16Array;

  // Features.
  private readonly detectors: DtmfDetectors;
  private readonly dtmfSender: DtmfSender;
  private vad: VadLike | undefined;
  private play: PlayOp | undefined;
  private record: RecordOp | undefined;
  private echo = false;
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
  private streamOut: StreamOut | undefined;
  private streamMixed = false;
  private streamCredit = 0;
  private streamDropped = 0;
  private streamIn: StreamIn | undefined;
  /** RTCP reports out and in (rtcp-session.ts). */
  private readonly rtcp: RtcpSession;

  private readonly counters = { silenceFrames: 0 };

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
    this.teRate = opts.telephoneEvent?.clockRate ?? opts.codec.clockRate;
    this.direction = opts.direction ?? 'sendrecv';
    this.rtpTimeoutMs = (opts.rtpTimeoutS ?? 30) * 1000;
    this.sendSilence = opts.sendSilence ?? true;
    const n = frameSamples(opts.codec.clockRate);
    this.inFrame = new Int16Array(n);
    this.outFrame = new Int16Array(n);
    this.zero = new Int16Array(n);
    this.mixFrame = new Int16Array(n);
    const maxPayload = Math.max(n * 2, this.codec.maxPayload);
    this.tx = new RtpSender(rtpSocket, maxPayload, mayConnect, () => this.closed);
    this.ssrc = this.tx.ssrc;
    this.cname = `sb-${this.ssrc.toString(16)}`;
    this.detectors = new DtmfDetectors((ev) => this.onDtmf(ev), this.teRate);
    this.detectors.configure({ rfc4733: true, inband: false, audioRate: opts.codec.clockRate });
    this.dtmfSender = new DtmfSender(this.teRate);
    this.rx = new RtpReceiver({
      rate: opts.codec.clockRate, frameSamples: n, jitter: { rate: opts.codec.clockRate, minDelayMs: JB_MIN_DELAY_MS, ...opts.jitter },
      codec: this.codec, audioPt: opts.codec.payloadType, tePt: this.tePt,
    }, this.detectors, nowMs);
    this.rx.receiving = this.direction === 'sendrecv' || this.direction === 'recvonly';
    this.latch = this.rx.latch;
    this.stats = this.rx.stats;
    this.jb = this.rx.jb;
    this.rtcp = new RtcpSession({
      ssrc: this.ssrc, cname: this.cname, rtcpMux: this.rtcpMux, stats: this.stats,
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
    const rtp = await bindSocket(rtpPort, bindAddress);
    let rtcp: Socket | undefined;
    if (!mux) {
      try {
        rtcp = await bindSocket(rtpPort === 0 ? 0 : rtpPort + 1, bindAddress);
      } catch (err) {
        rtp.close();
        throw err;
      }
    }
    return new RtpEndpoint(rtp, rtcp, opts, host, nowMs, rtpPort !== 0);
  }

  private now(): number {
    return Number(process.hrtime.bigint()) / 1e6;
  }

  private setRemote(remote: RemoteSpec | undefined, nowMs: number): void {
    this.remote = remote;
    this.latch.reset(remote?.address, remote?.port ?? 0, nowMs);
    // A new remote reopens the latch window: strangers must reach the latch again.
    this.disconnectRtp();
  }

  /** connect() the RTP socket to the latch target once the latch has settled (signaled or latched). */
  private connectRtp(): void {
    const t = this.latch.target();
    if (t) this.tx.connect(t);
  }

  private disconnectRtp(): void {
    this.tx.disconnect();
  }

  // ---- commands ----------------------------------------------------------------------------

  update(u: EndpointUpdate): void {
    const now = this.now();
    this.dropPrepared();
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
    if (u.telephoneEvent) {
      this.tePt = u.telephoneEvent.payloadType;
    }
    if (u.direction) this.direction = u.direction;
    this.rx.codec = this.codec;
    this.rx.audioPt = this.codecSpec.payloadType;
    this.rx.tePt = this.tePt;
    this.rx.receiving = this.direction === 'sendrecv' || this.direction === 'recvonly';
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
    this.stopPlay('cancelled');
    this.dropPrepared();
    this.play = { id: opId, source, bargeIn };
  }

  startRecord(opId: number, rec: RecorderLike, channels: 1 | 2): void {
    void this.stopRecord('cancelled');
    this.record = { id: opId, rec, channels, paused: false };
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
  /** Start streaming out (replaces a running stream): 20 ms chunks at `opts.rate` through host.streamAudio. */
  startStream(opts: StreamOptions): void {
    this.streamOut?.close();
    this.streamOut = new StreamOut({ inRate: this.codecSpec.clockRate, outRate: opts.rate, ...(opts.maxQueueMs ? { maxQueueMs: opts.maxQueueMs } : {}) });
    this.streamMixed = opts.mixed ?? false;
    this.streamCredit = STREAM_CREDIT;
  }

  stopStream(): void {
    if (this.streamOut) this.streamDropped += this.streamOut.dropped;
    this.streamOut?.close();
    this.streamOut = undefined;
  }

  /** The main thread has consumed `batches` stream-out batches. */
  streamAck(batches: number): void {
    this.streamCredit = Math.min(STREAM_CREDIT, this.streamCredit + batches);
  }

  /** Queue PCM (16 or 24 kHz) for playout after what is queued; plays whenever no play operation runs. */
  streamInAudio(pcm: Int16Array, rate: 16000 | 24000): void {
    if (this.streamIn && this.streamIn.inRate !== rate) {
      this.streamIn.close();
      this.streamIn = undefined;
    }
    if (!this.streamIn) {
      const si = new StreamIn({ inRate: rate, outRate: this.codecSpec.clockRate });
      si.onMark = (name, cleared) => this.host.emit('mark', { name, cleared });
      this.streamIn = si;
    }
    this.streamIn.enqueue(pcm);
  }

  /** Mark the end of the queued stream-in audio: 'mark' fires once it has been played. */
  markStream(name: string): void {
    if (!this.streamIn) {
      this.host.emit('mark', { name, cleared: false });
      return;
    }
    this.streamIn.mark(name);
  }

  /** Drop queued stream-in audio (barge-in); pending marks fire with cleared = true. */
  clearStream(): void {
    this.streamIn?.clear();
  }

  /** Add a VAD (when none runs) so speech barge-in works without an explicit detect(). */
  ensureVad(vad: VadLike): void {
    if (this.vad || this.closed) {
      vad.close();
      return;
    }
    this.vad = vad;
  }

  get hasVad(): boolean {
    return this.vad !== undefined;
  }

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

  sendDtmf(digits: string, durationMs: number, done: () => void): void {
    if (this.tePt === undefined) throw new Error('telephone-event was not negotiated');
    this.dropPrepared(true);
    this.dtmfSender.enqueue({ digits, durationMs, gapMs: 60, done });
  }

  injectDtmf(digit: string, durationMs = 0): void {
    this.detectors.injectInfo(digit, durationMs);
  }

  detect(opts: DetectOptions, vad?: VadLike): void {
    this.detectors.configure({ rfc4733: opts.rfc4733 ?? true, inband: opts.inband ?? false, audioRate: this.codecSpec.clockRate });
    if (!opts.vad) {
      this.vad?.close();
      this.vad = undefined;
    } else if (vad) {
      this.vad?.close();
      this.vad = vad;
    }
  }

  setEcho(on: boolean): void {
    this.echo = on;
  }

  get mediaRate(): number {
    return this.codecSpec.clockRate;
  }

  getStats(): EndpointStats {
    const c = this.counters;
    const target = this.latch.target();
    const j = this.jb.stats();
    return {
      packetsIn: this.rx.packetsIn, bytesIn: this.rx.bytesIn, packetsOut: this.tx.packetsOut, bytesOut: this.tx.bytesOut,
      lost: Math.max(0, this.stats.cumulativeLost),
      jitterMs: (this.stats.jitter * 1000) / this.codecSpec.clockRate,
      ...(this.rtcp.rtt !== undefined ? { rttMs: this.rtcp.rtt } : {}),
      ...(this.rtcp.remoteLost !== undefined ? { remoteLost: this.rtcp.remoteLost } : {}),
      ...(this.rtcp.remoteJitterMs !== undefined ? { remoteJitterMs: this.rtcp.remoteJitterMs } : {}),
      latch: this.latch.state,
      ...(target ? { sendingTo: target } : {}),
      rejectedPackets: this.latch.rejected,
      ignoredPackets: this.rx.ignored,
      ssrcChanges: this.rx.ssrcChanges,
      rtcpIn: this.rtcp.rtcpIn, rtcpOut: this.rtcp.rtcpOut,
      silenceFrames: c.silenceFrames,
      jitterBuffer: { delayMs: j.delayMs, targetMs: j.targetMs, lost: j.lost, concealed: j.concealed, late: j.late, dropped: j.dropped, underruns: j.underruns },
      streamDropped: this.streamDropped + (this.streamOut?.dropped ?? 0),
    };
  }

  /** Close sockets and end every operation. Idempotent. */
  async close(reason = 'closed'): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopPlay('cancelled');
    const rec = this.stopRecord('cancelled');
    this.dtmfSender.clear();
    this.vad?.close();
    this.vad = undefined;
    this.conference?.room.leave(this);
    this.stopStream();
    this.streamIn?.close();
    this.streamIn = undefined;
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

  private stopPlay(reason: OperationResult['reason'], error?: string): void {
    const p = this.play;
    if (!p) return;
    this.dropPrepared();
    this.play = undefined;
    this.replayFrame = false;
    p.source.close();
    this.host.opDone(p.id, error ? { reason, error } : { reason });
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

  private onDtmf(ev: DtmfEventData): void {
    this.host.emit('dtmf', ev);
    const b = this.play?.bargeIn;
    if (b === 'dtmf' || b === 'any') this.stopPlay('barge-in');
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
    this.timeoutFired = false;
    if (this.tx.mayConnectNow && this.latch.state !== 'waiting') this.connectRtp();
  }

  // ---- tick phase 1: inbound ---------------------------------------------------------------

  /** Take this tick's inbound frame from the jitter buffer (concealed where lost) and feed detectors and VAD. */
  pullInbound(nowMs: number): void {
    if (this.closed) return;
    const kind = this.jb.get(this.inFrame);
    if (kind !== 'silence') {
      this.inHave = true;
      this.inTs = (this.inTs + this.inFrame.length) >>> 0;
      this.detectors.onAudio(this.inFrame, this.inTs);
      if (this.vad) {
        const v = this.vad.process(this.inFrame);
        if (v) this.onVad(v);
      }
    } else {
      this.inHave = false;
    }
    this.detectors.tick(nowMs);
    if (!this.timeoutFired && nowMs - this.rx.lastRtpMs >= this.rtpTimeoutMs) {
      this.timeoutFired = true;
      this.host.emit('rtpTimeout', { silentMs: Math.round(nowMs - this.rx.lastRtpMs) });
    }
  }

  private onVad(v: 'speech-start' | 'speech-end'): void {
    this.host.emit('speech', { state: v === 'speech-start' ? 'start' : 'end' });
    const b = this.play?.bargeIn;
    if (v === 'speech-start' && (b === 'speech' || b === 'any')) this.stopPlay('barge-in');
  }

  // ---- tick phase 2: outbound --------------------------------------------------------------

  /**
   * True when this tick's outbound frame depends on this tick's inbound audio (bridge, echo,
   * conference, recording, streaming). The worker runs those after the inbound phase; every
   * other endpoint (a prompt, silence) sends first, at the top of the tick, so its send time
   * does not move with how long the other calls' inbound work took — that variation is jitter.
   */
  get outboundNeedsInbound(): boolean {
    return this.peer !== undefined || this.echo || this.conference !== undefined || this.record !== undefined || this.streamOut !== undefined;
  }

  /** Produce and send this tick's frame (or DTMF packets), record, stream out, and send RTCP when due. */
  pushOutbound(nowMs: number): void {
    if (this.closed) return;
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
      if (pre === this.play && this.canSendPrepared() && !this.outboundNeedsInbound && !this.streamIn && !this.dtmfSender.busy) {
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
  private dropPrepared(keepAudio = false): void {
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
    if (this.closed || this.prepared !== undefined || this.aheadSent || this.replayFrame || !this.play || this.streamIn || this.outboundNeedsInbound || !this.canSendPrepared()) return;
    if (this.tePt !== undefined && this.dtmfSender.busy) return;
    const op = this.play;
    if (!op.source.read(this.outFrame)) {
      this.prepared = op;
      this.preparedLen = -1;
      return;
    }
    const bytes = this.codec.encode(this.outFrame, this.tx.payload);
    if (bytes <= 0) return; // the slow path will read the next frame: this one is skipped (codec refused it)
    const len = this.tx.write(this.codecSpec.payloadType, this.tx.marker, this.tx.ts, bytes);
    this.prepared = op;
    this.preparedLen = len;
    // With the native pacer it leaves at its due time from the pacer's thread, not from our tick.
    this.preparedPaced = dueMs !== undefined && this.tx.canPace && this.tx.submitWritten(len, dueMs);
  }

  private canSendPrepared(): boolean {
    return this.tx.connected && (this.direction === 'sendrecv' || this.direction === 'sendonly');
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
    const heard = this.inHave ? this.inFrame : this.zero;
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
    if (this.streamOut) {
      const so = this.streamOut;
      so.push(this.streamMixed && out ? this.mix(heard, out) : heard);
      if (this.streamCredit > 0 && so.queuedMs > 0 && this.host.streamAudio) {
        this.streamCredit--;
        this.host.streamAudio(so.take());
      }
    }
    const target = this.latch.target();
    const canSend = !alreadySent && target !== undefined && (this.direction === 'sendrecv' || this.direction === 'sendonly');
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
        if (!out) this.counters.silenceFrames++;
        const bytes = this.codec.encode(frame, this.tx.payload);
        if (bytes > 0) {
          this.tx.send(target, this.codecSpec.payloadType, this.tx.marker, this.tx.ts, bytes);
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
   * `tickLagMs` (default 0): how far behind its due time the worker's ticker actually ran our last
   * tick. lastTickMs is the tick's DUE time (the grid); on a loaded machine the ticker runs behind
   * the grid (it wins back at most 1 ms per tick, or re-anchors beyond 60 ms), and then `nowMs −
   * lastTickMs` overstated the time since the tick by that lag — a play arriving 2 ms after a tick
   * that ran 20 ms late looked like "next tick overdue" and waited up to a whole frame for it (the
   * p99 tail of play → first RTP measured with silent callers, docs/benchmarks.md). The next tick
   * runs about 20 ms after the last one actually RAN, so that is what the window is measured from.
   */
  sendFirstFrameNow(nowMs: number, minLeadMs = 2, tickLagMs = 0): boolean {
    const p = this.play;
    if (p === undefined || this.closed || this.tsLead || this.streamIn || this.outboundNeedsInbound) return false;
    if (this.direction !== 'sendrecv' && this.direction !== 'sendonly') return false;
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
    if (!tx.sendWritten(tx.write(this.codecSpec.payloadType, true, tx.ts, bytes), to)) {
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
    if (this.streamIn) {
      // Read every tick (marks fire on reads); silence from an empty queue falls through.
      this.streamIn.read(this.outFrame);
      if (this.streamIn.playing) return this.outFrame;
    }
    if (this.conference) {
      this.conference.room.mixFor(this.conference.key, this.outFrame);
      return this.outFrame;
    }
    // A muted peer's audio is not forwarded: we send silence (and record/stream only our side).
    if (this.peer) return this.peer.inHave && !this.peer.muted ? this.peer.inFrame : undefined;
    if (this.echo && this.inHave) return this.inFrame;
    return undefined;
  }
}
