// The call recording in progress (startRecording … stopRecording), one per call at most.
// It registers with the call as a RunningOperation, so the call's end stops it and writes its
// final state before call.ended. Not a media operation: cancelAllMediaOperations spares it.
import type { Call, RunningOperation } from '../calls/call.ts';
import type { Clock } from '../../lib/index.ts';
import type { RecordingOperation } from '../ports/index.ts';

const sessions = new WeakMap<Call, RecordingSession>();

export class RecordingSession implements RunningOperation {
  readonly name = 'recording';
  readonly media = false;
  private stopping?: Promise<void>;

  /** When it started, ms (recording.stateChanged carries it as startedAt, ISO). */
  readonly startedAt: number;

  /**
   * `callbackUrl`: where its recording.stateChanged events go instead of the call's callback
   * URL (ACS recordingStateCallbackUri); default the call's.
   */
  constructor(readonly id: string, private readonly call: Call, private readonly op: RecordingOperation, private readonly clock: Clock, readonly callbackUrl?: string) {
    this.startedAt = clock.now();
    sessions.set(call, this);
    call.operations.add(this);
  }

  /** The journal's callback override for this recording's events. */
  target(): { callbackUrl?: string } {
    return this.callbackUrl !== undefined ? { callbackUrl: this.callbackUrl } : {};
  }

  static of(call: Call): RecordingSession | undefined {
    return sessions.get(call);
  }

  private pausedNow = false;

  /** True while paused (between pauseRecording and resumeRecording). */
  get paused(): boolean {
    return this.pausedNow;
  }

  /** Pauses or resumes; a no-op (no event) when already in that state or stopping. */
  async setPaused(paused: boolean): Promise<void> {
    if (this.pausedNow === paused || this.stopping) return;
    this.pausedNow = paused;
    try {
      await (paused ? this.op.pause() : this.op.resume());
    } catch (err) {
      this.pausedNow = !paused;
      throw err;
    }
    const now = this.clock.now();
    await this.call.journal.record({
      write: async (tx) => { await tx.calls.recordings.update(this.id, { state: paused ? 'paused' : 'recording', updatedAt: now }); },
      events: [this.call.event('recording.stateChanged', { recordingId: this.id, state: paused ? 'paused' : 'active', startedAt: new Date(this.startedAt).toISOString() })],
      ...this.target(),
    });
  }

  /** Stops it and journals 'completed' (or 'failed'); idempotent. */
  cancel(): Promise<void> {
    this.stopping ??= (async () => {
      sessions.delete(this.call);
      this.call.operations.delete(this);
      await this.op.cancel();
      const r = await this.op.done;
      const state = r.reason === 'failed' ? 'failed' : 'completed';
      const now = this.clock.now();
      await this.call.journal.record({
        write: async (tx) => { await tx.calls.recordings.update(this.id, { state, durationMs: r.durationMs ?? null, sizeBytes: r.sizeBytes ?? null, updatedAt: now }); },
        events: [this.call.event('recording.stateChanged', { recordingId: this.id, state: state === 'completed' ? 'stopped' : 'failed', startedAt: new Date(this.startedAt).toISOString() })],
        ...this.target(),
      }).catch(() => {});
    })();
    return this.stopping;
  }
}
