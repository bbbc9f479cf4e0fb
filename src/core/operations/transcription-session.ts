// The live transcription session of a call (startTranscription … stopTranscription), one per
// call at most: an audio tap on one leg → a Transcriber session → the application's WebSocket
// (MediaStreamer connection, content 'transcription').
//
// ```
//   active ──updateTranscription {locale}──▶ active   (engine session restarted; transcription.updated)
//     │──stop() / call ends──────────────▶ stopped  (transcription.stopped {reason:'stopped'|'callEnded'})
//     └──peer closes / socket or engine fails──▶ stopped | failed (transcription.stopped {reason:'peer'} /
//                                                                   transcription.failed {reason, error})
// ```
// Like StreamingSession it registers with the call as a non-media RunningOperation, so the
// call's end stops it and journals its final event before call.ended. Offsets in results count
// from the start of the transcription across locale changes.
import type { Call, RunningOperation } from '../calls/call.ts';
import type { Clock } from '../../lib/index.ts';
import type { AudioTap, Participant, StreamConnection, Transcriber, TranscriberSession, TranscriptResult } from '../ports/index.ts';

const sessions = new WeakMap<Call, TranscriptionSession>();

export interface TranscriptionSessionInit {
  id: string;
  call: Call;
  conn: StreamConnection;
  tap: AudioTap;
  /** Who speaks on the tapped leg (set on each result). */
  participant?: Participant;
  transcriber: Transcriber;
  locale: string;
  rate: number;
  clock: Clock;
  operationContext: string | null;
}

export class TranscriptionSession implements RunningOperation {
  readonly name = 'transcription';
  readonly media = false;
  readonly id: string;
  private engine: TranscriberSession;
  private locale: string;
  /** Audio ms written to engines before the current one (offsets across restarts). */
  private baseMs = 0;
  private engineMs = 0;
  private results = 0;
  private stopping?: Promise<void>;

  /** Throws when the transcriber refuses the locale (nothing is registered then). */
  constructor(private readonly s: TranscriptionSessionInit) {
    this.id = s.id;
    this.locale = s.locale;
    this.engine = this.startEngine(s.locale);
    sessions.set(s.call, this);
    s.call.operations.add(this);
    s.tap.on('audio', (a) => {
      this.engine.write(a.samples);
      this.engineMs += (a.samples.length * 1000) / a.rate;
    });
    s.tap.on('closed', () => void this.end({ reason: 'callEnded' }));
    s.conn.on('closed', (c) => {
      if (c.reason === 'closed') return;
      void this.end(c.reason === 'peer' ? { reason: 'peer' } : { reason: 'error', error: c.error ?? 'transcription connection failed' });
    });
  }

  static of(call: Call): TranscriptionSession | undefined {
    return sessions.get(call);
  }

  get currentLocale(): string {
    return this.locale;
  }

  /** Results sent to the application so far. */
  get resultCount(): number {
    return this.results;
  }

  /** Switches the engine to another locale; throws (keeping the old one) when it is refused. */
  async update(locale: string): Promise<void> {
    // The new engine's offsets start where the old one's audio ended (its base is captured at start).
    const prevBase = this.baseMs;
    this.baseMs += this.engineMs;
    let next: TranscriberSession;
    try {
      next = this.startEngine(locale);
    } catch (err) {
      this.baseMs = prevBase;
      throw err;
    }
    const old = this.engine;
    this.engine = next;
    this.engineMs = 0;
    this.locale = locale;
    // The old engine finishes the utterance it has; its results still go out (offsets were its own base).
    await old.end().catch(() => {});
  }

  cancel(reason: 'cancelled' | 'callEnded'): Promise<void> {
    return this.end({ reason: reason === 'cancelled' ? 'stopped' : 'callEnded' });
  }

  private startEngine(locale: string): TranscriberSession {
    const engine = this.s.transcriber.startSession({ rate: this.s.rate, locale });
    const base = this.baseMs;
    engine.on('result', (r: TranscriptResult) => {
      if (this.stopping && !this.flushing) return;
      this.results++;
      this.s.conn.sendTranscript({
        ...r, offsetMs: r.offsetMs + base,
        ...(r.words ? { words: r.words.map((w) => ({ ...w, offsetMs: w.offsetMs + base })) } : {}),
        ...(this.s.participant ? { participant: this.s.participant } : {}),
      });
    });
    engine.on('error', (err: Error) => void this.end({ reason: 'error', error: `transcriber: ${err.message}` }));
    return engine;
  }

  private flushing = false;

  /** Stops once and journals the final event; idempotent. A normal stop sends the last utterance first. */
  private end(how: { reason: 'stopped' | 'callEnded' | 'peer' | 'error'; error?: string }): Promise<void> {
    // Assigned before any work runs: closing the tap emits 'closed' synchronously, which calls end() again.
    this.stopping ??= Promise.resolve().then(async () => {
      const { call, conn, tap } = this.s;
      sessions.delete(call);
      call.operations.delete(this);
      await tap.close().catch(() => {});
      if (how.reason === 'stopped' || how.reason === 'callEnded') {
        this.flushing = true;
        await this.engine.end().catch(() => {});
        this.flushing = false;
      } else {
        await this.engine.close().catch(() => {});
      }
      await conn.close().catch(() => {});
      const data: Record<string, unknown> = {
        transcriptionId: this.id, reason: how.reason, locale: this.locale, results: this.results,
        ...(how.error !== undefined ? { error: how.error } : {}),
        ...(this.s.operationContext !== null ? { operationContext: this.s.operationContext } : {}),
      };
      await call.journal.record({ events: [call.event(how.reason === 'error' ? 'transcription.failed' : 'transcription.stopped', data)] }).catch(() => {});
    });
    return this.stopping;
  }
}
