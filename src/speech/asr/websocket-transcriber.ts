/**
 * Free-form transcription by a speech server over WebSocket (configuration
 * `speech.transcription.provider: websocket`, docs/speech.md "Hosted providers"): the core
 * Transcriber port with one WebSocket per session. The one protocol spoken is the Vosk server's
 * (alphacep/vosk-server, websocket/asr_server.py), as its README and sample clients describe it:
 *
 * ```
 *   client → {"config": {"sample_rate": N}}         text frame, first
 *   client → PCM 16-bit LE mono at N Hz              binary frames, any length
 *   server → {"partial": "hello wor"}                after a chunk, utterance in progress
 *   server → {"text": "hello world",                 after a chunk that ended an utterance
 *             "result": [{"word","start","end","conf"}]}   (seconds from the stream start)
 *   client → {"eof": 1}                              end of audio
 *   server → the last {"text" …}, then closes
 * ```
 *
 * Session states (transitions in `WebsocketSession.setState` only):
 *
 * ```
 *   connecting ──open──▶ streaming ──end()──▶ ending ──server closes──▶ closed
 *        │                   │                  └── endTimeoutMs ──────▶ closed
 *        │                   └── server closes / socket error ─▶ closed (+ 'error')
 *        └── refused / connectTimeoutMs ──▶ closed (+ 'error')      close() from any state ─▶ closed
 * ```
 *
 * Audio written while connecting is queued (bounded by connectTimeoutMs of it) and sent on open.
 * Tested against a protocol double written from that description, not against a real Vosk
 * server (none is installable here without a model download): say so wherever it is offered.
 * It must never throw into the caller's event loop: failures are 'error' events (SpeechError
 * RECOGNIZER_UNAVAILABLE when the server cannot be reached, RECOGNITION_FAILED otherwise).
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { SpeechError } from '../types.ts';
import type { TranscriberResult, TranscriberSessionOptions } from './pocketsphinx-transcriber.ts';
import { transcribeUtterance } from './utterance.ts';

export interface WebsocketTranscriberOptions {
  /** ws:// or wss:// URL of the speech server; required. */
  url: string;
  /** Wire protocol; only 'vosk' exists. Default 'vosk'. */
  protocol?: 'vosk';
  /** How long a session may take to connect before it fails. Default 5,000 ms. */
  connectTimeoutMs?: number;
  /** How long end() waits for the server's last result and close. Default 10,000 ms. */
  endTimeoutMs?: number;
}

export type WebsocketSessionState = 'connecting' | 'streaming' | 'ending' | 'closed';

interface SessionEvents {
  result: [TranscriberResult];
  error: [Error];
  closed: [];
}

interface VoskWord { word: string; start: number; end: number; conf?: number }

/** One live transcription over one WebSocket. */
export class WebsocketSession extends EventEmitter<SessionEvents> {
  private readonly ws: WebSocket;
  private stateValue: WebsocketSessionState = 'connecting';
  private readonly pending: Buffer[] = [];
  private readonly closedP: Promise<void>;
  private lastPartial = '';
  /** End of the last final utterance, ms: where the next partial's utterance is taken to start. */
  private lastEndMs = 0;
  private failed = false;

  constructor(private readonly opts: Required<WebsocketTranscriberOptions>, private readonly rate: number) {
    super();
    this.ws = new WebSocket(opts.url, { handshakeTimeout: opts.connectTimeoutMs });
    this.closedP = new Promise((resolve) => this.once('closed', resolve));
    this.ws.on('open', () => {
      if (this.stateValue !== 'connecting') return;
      this.ws.send(JSON.stringify({ config: { sample_rate: this.rate } }));
      for (const b of this.pending.splice(0)) this.ws.send(b);
      this.setState('streaming');
      if (this.endWanted) this.sendEof();
    });
    this.ws.on('message', (data, isBinary) => {
      if (!isBinary) this.onMessage(data.toString());
    });
    this.ws.on('error', (err: NodeJS.ErrnoException) => {
      const connecting = this.stateValue === 'connecting';
      this.fail(connecting
        ? new SpeechError('RECOGNIZER_UNAVAILABLE', `cannot connect to transcription server ${opts.url}: ${err.code ?? err.message}`)
        : new SpeechError('RECOGNITION_FAILED', `transcription server ${opts.url}: ${err.message}`));
    });
    this.ws.on('close', (code) => {
      const was = this.stateValue;
      if (was === 'connecting' || was === 'streaming') {
        this.fail(new SpeechError(was === 'connecting' ? 'RECOGNIZER_UNAVAILABLE' : 'RECOGNITION_FAILED',
          `transcription server ${opts.url} closed the connection ${was === 'connecting' ? 'before it opened' : 'before the end of the audio'} (code ${code})`));
      }
      this.setState('closed');
    });
  }

  get state(): WebsocketSessionState {
    return this.stateValue;
  }

  private endWanted = false;

  private setState(next: WebsocketSessionState): void {
    if (this.stateValue === 'closed' || this.stateValue === next) return;
    this.stateValue = next;
    if (next === 'closed') {
      if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
      this.emit('closed');
    }
  }

  /** Reports one failure ('error' without a listener would throw in the emitter) and closes. */
  private fail(err: SpeechError): void {
    if (this.failed || this.stateValue === 'closed') return;
    this.failed = true;
    if (this.listenerCount('error') > 0) this.emit('error', err);
    this.setState('closed');
  }

  private onMessage(text: string): void {
    let m: { partial?: unknown; text?: unknown; result?: unknown };
    try {
      m = JSON.parse(text) as typeof m;
    } catch {
      return this.fail(new SpeechError('RECOGNITION_FAILED', `transcription server sent non-JSON: ${text.slice(0, 80)}`));
    }
    if (typeof m.partial === 'string') {
      const p = m.partial.trim();
      // Vosk repeats the partial after every chunk: only changes are news.
      if (!p || p === this.lastPartial) return;
      this.lastPartial = p;
      this.emit('result', { text: p, final: false, offsetMs: this.lastEndMs, durationMs: 0 });
      return;
    }
    if (typeof m.text !== 'string') return;
    this.lastPartial = '';
    const t = m.text.trim();
    if (!t) return; // an empty final: silence ended without words
    const words = (Array.isArray(m.result) ? m.result : []).filter((w): w is VoskWord =>
      typeof w === 'object' && w !== null && typeof (w as VoskWord).word === 'string' && typeof (w as VoskWord).start === 'number' && typeof (w as VoskWord).end === 'number');
    const ms = (s: number): number => Math.round(s * 1000);
    const first = words[0];
    const last = words[words.length - 1];
    const offsetMs = first ? ms(first.start) : this.lastEndMs;
    const endMs = last ? ms(last.end) : offsetMs;
    this.lastEndMs = endMs;
    const confs = words.filter((w) => typeof w.conf === 'number').map((w) => Math.min(1, Math.max(0, w.conf!)));
    this.emit('result', {
      text: t, final: true, offsetMs, durationMs: endMs - offsetMs,
      ...(confs.length ? { confidence: Math.round((confs.reduce((a, b) => a + b, 0) / confs.length) * 1000) / 1000 } : {}),
      ...(words.length ? { words: words.map((w) => ({ text: w.word, offsetMs: ms(w.start), durationMs: ms(w.end) - ms(w.start) })) } : {}),
    });
  }

  /** PCM 16-bit mono at the session's rate; queued while connecting, ignored after end()/close(). */
  write(samples: Int16Array): void {
    if (samples.length === 0 || this.endWanted) return;
    // Copied: the caller may reuse its buffer; the wire format is little-endian like the host.
    const b = Buffer.from(samples.buffer.slice(samples.byteOffset, samples.byteOffset + samples.byteLength));
    if (this.stateValue === 'connecting') {
      const queuedMs = (this.pending.reduce((n, x) => n + x.length, 0) / 2 / this.rate) * 1000;
      if (queuedMs < this.opts.connectTimeoutMs) this.pending.push(b);
    } else if (this.stateValue === 'streaming') {
      this.ws.send(b);
    }
  }

  private sendEof(): void {
    this.setState('ending');
    this.ws.send(JSON.stringify({ eof: 1 }));
  }

  /** Ends the audio; resolves after the server's last result and close (or endTimeoutMs). */
  async end(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.endWanted = true;
    if (this.stateValue === 'streaming') this.sendEof();
    const timer = setTimeout(() => this.setState('closed'), this.opts.endTimeoutMs + (this.stateValue === 'connecting' ? this.opts.connectTimeoutMs : 0));
    await this.closedP;
    clearTimeout(timer);
  }

  /** Stops at once; results not yet received are lost. */
  async close(): Promise<void> {
    this.endWanted = true;
    this.setState('closed');
  }
}

/** The core Transcriber port over a WebSocket speech server: a factory of sessions. */
export class WebsocketTranscriber {
  readonly opts: Required<WebsocketTranscriberOptions>;

  constructor(opts: WebsocketTranscriberOptions) {
    if (!/^wss?:\/\/\S+$/i.test(opts.url)) throw new SpeechError('BAD_REQUEST', `transcription server url must be ws:// or wss://, got ${JSON.stringify(opts.url)}`);
    this.opts = { protocol: 'vosk', connectTimeoutMs: 5000, endTimeoutMs: 10_000, ...opts };
  }

  /**
   * The language is the server's model's: a Vosk server loads one model, so `locale` is not sent
   * and not checked. `bandwidth` is not needed: the audio goes at its own rate, the server resamples.
   */
  startSession(opts: TranscriberSessionOptions): WebsocketSession {
    return new WebsocketSession(this.opts, opts.rate);
  }

  /** One whole utterance through a fresh session: its finals joined, mean confidence. Rejects with SpeechError. */
  async transcribeUtterance(input: { rate: number; samples: Int16Array; locale?: string }): Promise<{ text: string; confidence?: number }> {
    return transcribeUtterance(this.startSession({ rate: input.rate }), input.samples);
  }

  /** Nothing is kept open between sessions. */
  async close(): Promise<void> {}
}
