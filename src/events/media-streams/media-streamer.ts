// The MediaStreamer port (core/ports/media-stream.ts) over WebSocket clients (the `ws`
// package): Switchboard connects OUT to the application's ws:// or wss:// URL, sends the
// framer's first message(s), then paced call audio (AudioSendQueue: oldest shed, counted),
// digits and transcripts; what the application sends back is decoded by the same framer into
// audio or stopAudio.
//
// ```
//  connecting ──open──▶ open ──close() ──────────▶ closed {reason:'closed'}
//      │                  ├──peer closes ────────▶ closed {reason:'peer'}
//      └─error/timeout──▶ (connect rejects)  └──socket error ─▶ closed {reason:'error', error}
// ```
// 'closed' is emitted exactly once; afterwards every send* is a no-op. It must never throw into
// the call: a bad message from the application is counted (`unparsed`) and ignored.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type {
  MediaStreamer, Participant, StreamConnectRequest, StreamConnection, StreamConnectionEvents, TranscriptResult,
} from '../../core/index.ts';
import { nullLogger, systemClock, type Clock, type Logger } from '../../lib/index.ts';
import { AudioSendQueue } from './audio-send-queue.ts';
import type { StreamFramer } from './framer.ts';

export interface MediaStreamerOptions {
  /** The dialects spoken, by name ('native', 'acs' …). */
  framers: StreamFramer[];
  /** Default systemClock. */
  clock?: Clock;
  /** Default nullLogger. */
  logger?: Logger;
  /** Audio held for a slow consumer before the oldest is shed, ms; default 500. */
  maxQueueMs?: number;
  /** WebSocket handshake limit, ms; default 10000. */
  connectTimeoutMs?: number;
  /** Wait for the close handshake before dropping the socket, ms; default 2000. */
  closeTimeoutMs?: number;
  /** Largest message accepted from the application, bytes; default 1 MiB. */
  maxMessageBytes?: number;
  /** Told, when a connection ends, how many audio frames it shed (for a metric); default none. */
  onDropped?: (frames: number) => void;
}

/** Frames of 20 ms. */
const FRAME_MS = 20;

class WsStreamConnection extends EventEmitter<StreamConnectionEvents> implements StreamConnection {
  readonly id = randomUUID();
  /** Messages from the application the framer did not understand. */
  unparsed = 0;
  private readonly queue: AudioSendQueue;
  private ended = false;
  private closing = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly req: StreamConnectRequest,
    private readonly framer: StreamFramer,
    private readonly o: { clock: Clock; logger: Logger; maxQueueMs: number; closeTimeoutMs: number; onDropped?: (frames: number) => void },
  ) {
    super();
    this.queue = new AudioSendQueue({ send: (data, done) => this.ws.send(data, done) }, Math.ceil(o.maxQueueMs / FRAME_MS));
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', () => this.end(this.closing ? { reason: 'closed' } : { reason: 'peer' }));
    ws.on('error', (err) => this.end(this.closing ? { reason: 'closed' } : { reason: 'error', error: err.message }));
  }

  get dropped(): number {
    return this.queue.dropped;
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.ended) return;
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    let m;
    try {
      m = this.framer.parse(isBinary ? buf : buf.toString('utf8'), this.req);
    } catch (err) {
      m = null;
      this.o.logger.debug({ err, stream: this.id }, 'stream framer failed on a message');
    }
    if (!m) {
      this.unparsed++;
      return;
    }
    if (m.kind === 'audio') this.emit('audio', { samples: m.samples });
    else this.emit('stopAudio');
  }

  private end(c: StreamConnectionEvents['closed'][0]): void {
    if (this.ended) return;
    this.ended = true;
    this.queue.close();
    if (this.queue.dropped > 0) {
      this.o.logger.info({ stream: this.id, callId: this.req.callId, dropped: this.queue.dropped }, 'media stream consumer was too slow: audio shed');
      this.o.onDropped?.(this.queue.dropped);
    }
    this.emit('closed', c);
  }

  /** Control messages are never shed. */
  private sendNow(msg: string | Buffer | null): void {
    if (this.ended || this.closing || msg === null || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(msg, () => {});
  }

  sendAudio(frame: { samples: Int16Array; participant?: Participant; timestampMs: number; silent: boolean }): void {
    if (this.ended || this.closing) return;
    this.queue.push(this.framer.audio(this.req, frame));
  }

  sendDtmf(digit: string, participant?: Participant): void {
    if (this.ended || this.closing) return;
    this.sendNow(this.framer.dtmf(this.req, digit, participant));
  }

  sendTranscript(result: TranscriptResult): void {
    if (this.ended || this.closing) return;
    this.sendNow(this.framer.transcript(this.req, result));
  }

  /** Normal closure (RFC 6455 §7.4.1 code 1000); the socket is dropped if the peer does not answer in time. */
  close(): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.closing = true;
    return new Promise<void>((resolve) => {
      const timer = this.o.clock.setTimeout(() => {
        this.ws.terminate();
        this.end({ reason: 'closed' });
      }, this.o.closeTimeoutMs);
      this.once('closed', () => {
        timer.cancel();
        resolve();
      });
      try {
        this.ws.close(1000, 'stream stopped');
      } catch {
        this.ws.terminate();
      }
    });
  }
}

/** Connects streams with the given framers (see the module comment). */
export function createMediaStreamer(opts: MediaStreamerOptions): MediaStreamer {
  const framers = new Map(opts.framers.map((f) => [f.name, f]));
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? nullLogger;
  const maxQueueMs = opts.maxQueueMs ?? 500;
  const closeTimeoutMs = opts.closeTimeoutMs ?? 2000;
  return {
    async connect(req: StreamConnectRequest): Promise<StreamConnection> {
      const framer = framers.get(req.format);
      if (!framer) throw new Error(`no stream framer for format '${req.format}' (have: ${[...framers.keys()].join(', ')})`);
      if (!/^wss?:\/\//i.test(req.url)) throw new Error('stream URL must be ws:// or wss://');
      const headers = (await framer.headers?.(req)) ?? {};
      const ws = new WebSocket(req.url, {
        headers, handshakeTimeout: opts.connectTimeoutMs ?? 10_000, maxPayload: opts.maxMessageBytes ?? 1 << 20, perMessageDeflate: false,
      });
      await new Promise<void>((resolve, reject) => {
        const fail = (err: Error): void => {
          ws.off('open', ok);
          // Aborting a handshake may emit once more; an unheard 'error' would crash the process.
          ws.on('error', () => {});
          if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
          reject(err);
        };
        const ok = (): void => {
          ws.off('error', fail);
          resolve();
        };
        ws.once('open', ok);
        ws.once('error', fail);
        ws.once('unexpected-response', (_r, res) => fail(new Error(`WebSocket handshake refused: HTTP ${res.statusCode ?? '?'}`)));
      });
      const conn = new WsStreamConnection(ws, req, framer, { clock, logger, maxQueueMs, closeTimeoutMs, ...(opts.onDropped ? { onDropped: opts.onDropped } : {}) });
      for (const m of framer.open(req, req.meta?.subscriptionId ?? conn.id)) ws.send(m);
      logger.debug({ stream: conn.id, callId: req.callId, format: req.format, content: req.content }, 'media stream connected');
      return conn;
    },
  };
}
