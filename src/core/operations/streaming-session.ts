// The media streaming session of a call (startMediaStreaming … stopMediaStreaming), one per call
// at most: audio taps on the call's legs → a MediaStreamer connection (the application's
// WebSocket), and, when bidirectional, the application's audio back into the legs.
//
// ```
//   streaming ──stop() / call ends──────────▶ stopped   (mediaStreaming.stopped {reason:'stopped'|'callEnded', dropped})
//       ├─────every tapped leg's endpoint closed▶ stopped (reason 'legsEnded')
//       └─────peer closes / socket fails────▶ stopped | failed (mediaStreaming.stopped {reason:'peer'} /
//                                                                mediaStreaming.failed {reason, error, dropped})
// ```
// It registers with the call as a RunningOperation (not a media one: cancelAllMediaOperations
// spares it), so the call's end stops it and journals its final event before call.ended.
// `dropped` = 20 ms frames shed for a slow consumer (worker side + WebSocket side).
import type { Call, RunningOperation } from '../calls/call.ts';
import type { Leg } from '../calls/leg.ts';
import type { Clock } from '../../lib/index.ts';
import type { AudioTap, Participant, StreamConnection } from '../ports/index.ts';

const sessions = new WeakMap<Call, StreamingSession>();

/** One tap and who it carries (participant set for unmixed streams). */
export interface SessionTap {
  tap: AudioTap;
  participant?: Participant;
}

export interface StreamingSessionInit {
  id: string;
  call: Call;
  conn: StreamConnection;
  taps: SessionTap[];
  /** Legs the application's audio is played to (bidirectional); empty = one-way. */
  playTo: Leg[];
  rate: 16000 | 24000;
  /** Forward DTMF digits heard on the call. */
  dtmf: boolean;
  clock: Clock;
  operationContext: string | null;
}

/** True when every sample is zero (the engine's comfort silence). */
function isSilent(s: Int16Array): boolean {
  for (let i = 0; i < s.length; i++) if (s[i] !== 0) return false;
  return true;
}

export class StreamingSession implements RunningOperation {
  readonly name = 'mediaStreaming';
  readonly media = false;
  readonly id: string;
  private stopping?: Promise<void>;
  /** Set synchronously on the first end(): closing taps re-enters through their 'closed' events. */
  private ending = false;
  private readonly startedAt: number;
  private readonly cleanups: (() => void)[] = [];

  constructor(private readonly s: StreamingSessionInit) {
    this.id = s.id;
    this.startedAt = s.clock.now();
    sessions.set(s.call, this);
    s.call.operations.add(this);
    let open = s.taps.length;
    for (const { tap, participant } of s.taps) {
      tap.on('audio', (a) => {
        s.conn.sendAudio({ samples: a.samples, ...(participant ? { participant } : {}), timestampMs: s.clock.now(), silent: isSilent(a.samples) });
      });
      // Every tapped leg gone (their endpoints closed) while the call goes on: nothing left to stream.
      tap.once('closed', () => {
        if (--open === 0 && !this.ending) void this.end({ reason: 'legsEnded' });
      });
    }
    if (s.dtmf) {
      const onDtmf = (d: { legId: string; digit: string }): void => {
        const leg = s.call.legs.get(d.legId);
        s.conn.sendDtmf(d.digit, leg?.participant);
      };
      s.call.on('dtmf', onDtmf);
      this.cleanups.push(() => s.call.off('dtmf', onDtmf));
    }
    if (s.playTo.length > 0) {
      s.conn.on('audio', ({ samples }) => {
        // streamIn takes ownership of the buffer: each leg gets its own copy but the last.
        s.playTo.forEach((leg, i) => {
          if (leg.media.closed) return;
          const own = i === s.playTo.length - 1 ? samples : samples.slice();
          void leg.media.streamIn(own, s.rate).catch(() => {});
        });
      });
      s.conn.on('stopAudio', () => {
        for (const leg of s.playTo) if (!leg.media.closed) void leg.media.clearStreamIn().catch(() => {});
      });
    }
    s.conn.on('closed', (c) => {
      if (c.reason === 'closed') return; // we closed it: end() journals
      void this.end(c.reason === 'peer' ? { reason: 'peer' } : { reason: 'error', error: c.error ?? 'stream connection failed' });
    });
  }

  static of(call: Call): StreamingSession | undefined {
    return sessions.get(call);
  }

  /** Frames shed so far (final once stopped). */
  get dropped(): number {
    return this.s.conn.dropped + this.s.taps.reduce((n, t) => n + t.tap.dropped, 0);
  }

  /** RunningOperation: stopMediaStreaming ('cancelled') or the call ending ('callEnded'). */
  cancel(reason: 'cancelled' | 'callEnded'): Promise<void> {
    return this.end({ reason: reason === 'cancelled' ? 'stopped' : 'callEnded' });
  }

  /** Stops everything once and journals the final event; idempotent. */
  private end(how: { reason: 'stopped' | 'callEnded' | 'legsEnded' | 'peer' | 'error'; error?: string }): Promise<void> {
    if (this.ending) return this.stopping ?? Promise.resolve();
    this.ending = true;
    this.stopping = (async () => {
      const { call, conn, taps, playTo } = this.s;
      sessions.delete(call);
      call.operations.delete(this);
      for (const c of this.cleanups) c();
      await Promise.all(taps.map((t) => t.tap.close().catch(() => {})));
      await conn.close().catch(() => {});
      // What the application queued but was not played yet must not outlive its stream.
      await Promise.all(playTo.map((l) => (l.media.closed ? undefined : l.media.clearStreamIn().catch(() => {}))));
      const data: Record<string, unknown> = {
        streamId: this.id, reason: how.reason, dropped: this.dropped, durationMs: this.s.clock.now() - this.startedAt,
        ...(how.error !== undefined ? { error: how.error } : {}),
        ...(this.s.operationContext !== null ? { operationContext: this.s.operationContext } : {}),
      };
      await call.journal.record({ events: [call.event(how.reason === 'error' ? 'mediaStreaming.failed' : 'mediaStreaming.stopped', data)] }).catch(() => {});
    })();
    return this.stopping;
  }
}
