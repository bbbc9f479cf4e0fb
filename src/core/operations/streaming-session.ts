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
//
// follow: legs that answer after the start get a tap of their own (unmixed: their participant's
// frames; mixed: they join the mix). mix: the taps carry what each party SAYS and the session sums
// them here (StreamMix below) — so the application's own audio, played TO the legs, is never in
// the mixed stream it gets back (as on ACS, where the bot is not in its own mix).
import type { Call, RunningOperation } from '../calls/call.ts';
import type { Leg } from '../calls/leg.ts';
import type { Clock } from '../../lib/index.ts';
import type { AudioTap, Participant, StreamConnection } from '../ports/index.ts';

const sessions = new WeakMap<Call, StreamingSession>();

/** One tap and who it carries (participant set for unmixed streams). */
export interface SessionTap {
  tap: AudioTap;
  participant?: Participant;
  /** The leg tapped (follow: legs already tapped are not tapped again). */
  legId?: string;
}

/**
 * Sums the 20 ms frames of several taps into one stream. The first open tap paces it: each of its
 * frames is sent with one queued frame of every other tap added (saturating). Other taps queue at
 * most MAX_QUEUE frames (oldest shed) so a leg on another worker, whose frames arrive with jitter,
 * neither drifts nor grows memory. Allocates one output frame per 20 ms (main thread).
 */
class StreamMix {
  static readonly MAX_QUEUE = 5;
  private readonly queues = new Map<AudioTap, Int16Array[]>();

  constructor(private readonly send: (samples: Int16Array) => void) {}

  add(tap: AudioTap): void {
    this.queues.set(tap, []);
  }

  remove(tap: AudioTap): void {
    this.queues.delete(tap);
  }

  frame(tap: AudioTap, samples: Int16Array): void {
    const lead = this.queues.keys().next().value;
    if (tap !== lead) {
      const q = this.queues.get(tap);
      if (!q) return;
      // The tap's buffer is shared with other taps: keep a copy.
      q.push(samples.slice());
      if (q.length > StreamMix.MAX_QUEUE) q.shift();
      return;
    }
    if (this.queues.size === 1) {
      this.send(samples);
      return;
    }
    const out = Int16Array.from(samples);
    for (const [t, q] of this.queues) {
      if (t === lead) continue;
      const other = q.shift();
      if (!other) continue;
      const n = Math.min(out.length, other.length);
      for (let i = 0; i < n; i++) {
        const v = out[i]! + other[i]!;
        out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
    }
    this.send(out);
  }
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
  /** Sum the taps into one stream (StreamMix); default false: each tap's frames as they come. */
  mix?: boolean;
  /** Tap legs that answer later (their participant set when `tagParticipants`); default none. */
  follow?: { tagParticipants: boolean };
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
  /** Taps not closed yet. */
  private open = 0;
  private readonly mixer: StreamMix | undefined;
  /** Legs (follow) whose 'answered' is awaited. */
  private readonly watched = new Set<string>();

  constructor(private readonly s: StreamingSessionInit) {
    this.id = s.id;
    this.startedAt = s.clock.now();
    sessions.set(s.call, this);
    s.call.operations.add(this);
    this.open = 0;
    this.mixer = s.mix ? new StreamMix((samples) => s.conn.sendAudio({ samples, timestampMs: s.clock.now(), silent: isSilent(samples) })) : undefined;
    for (const t of s.taps) this.attach(t);
    if (s.follow) {
      const follow = s.follow;
      const tapLeg = (leg: Leg): void => {
        if (this.ending || leg.media.closed || s.taps.some((t) => t.legId === leg.id)) return;
        // Reserved before the await so a second 'legs' meanwhile does not tap it twice.
        const entry: SessionTap = { tap: undefined as unknown as AudioTap, legId: leg.id, ...(follow.tagParticipants ? { participant: leg.participant } : {}) };
        s.taps.push(entry);
        leg.media.openTap({ rate: s.rate, mixed: false }).then((tap) => {
          entry.tap = tap;
          if (this.ending) return void tap.close().catch(() => {});
          this.attach(entry);
        }, () => { s.taps.splice(s.taps.indexOf(entry), 1); });
      };
      const onLegs = (): void => {
        for (const leg of s.call.liveLegs()) {
          if (s.taps.some((t) => t.legId === leg.id)) continue;
          if (leg.state === 'answered') tapLeg(leg);
          else if (!this.watched.has(leg.id)) {
            this.watched.add(leg.id);
            const onAnswered = (): void => tapLeg(leg);
            leg.once('answered', onAnswered);
            this.cleanups.push(() => leg.off('answered', onAnswered));
          }
        }
      };
      s.call.on('legs', onLegs);
      this.cleanups.push(() => s.call.off('legs', onLegs));
      onLegs();
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

  /** Starts forwarding one tap's audio (directly or into the mix) and watches its end. */
  private attach(t: SessionTap): void {
    const { tap, participant } = t;
    const s = this.s;
    this.open++;
    this.mixer?.add(tap);
    tap.on('audio', (a) => {
      if (this.mixer) this.mixer.frame(tap, a.samples);
      else s.conn.sendAudio({ samples: a.samples, ...(participant ? { participant } : {}), timestampMs: s.clock.now(), silent: isSilent(a.samples) });
    });
    // Every tapped leg gone (their endpoints closed) while the call goes on: nothing left to stream.
    tap.once('closed', () => {
      this.mixer?.remove(tap);
      if (--this.open === 0 && !this.ending) void this.end({ reason: 'legsEnded' });
    });
  }

  static of(call: Call): StreamingSession | undefined {
    return sessions.get(call);
  }

  /** Frames shed so far (final once stopped). */
  get dropped(): number {
    return this.s.conn.dropped + this.s.taps.reduce((n, t) => n + (t.tap?.dropped ?? 0), 0);
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
      await Promise.all(taps.map((t) => t.tap?.close().catch(() => {})));
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
