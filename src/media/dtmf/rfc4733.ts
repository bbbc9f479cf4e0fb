/**
 * RFC 4733 telephone-event payload (DTMF over RTP): parse/build of the 4-byte event block, a
 * receiver that turns a stream of event packets into exactly one digit per key press, and a
 * sender that plans the packet sequence for a digit.
 *
 * ```
 *  0                   1                   2                   3        RFC 4733 §2.3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     event     |E|R| volume    |          duration             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * The RTP timestamp of every packet of one event (segment) is the event's start; duration counts
 * timestamp units since then. Events 0–9, 10 '*', 11 '#', 12–15 'A'–'D' (§3.2), 16 flash.
 *
 * Receiver state, changed only in `onPacket`/`tick`:
 * ```
 *            packet (new ts, not a finished one)        E bit            (3 end copies ignored)
 *  idle ─────────────────────────────────────▶ playing ─────────▶ idle, ts remembered as done
 *                                                │  no packet for `timeoutMs` → end (timeout)
 *                                                │  new ts = ts + duration, same event, no M → next
 *                                                │  segment of a long event (not a new digit)
 *                                                └─ other new ts → end (superseded), start new
 * ```
 */

export interface TelephoneEvent {
  /** Event code 0–255. */
  event: number;
  /** E bit: this packet reports the end of the event. */
  end: boolean;
  /** Power level in −dBm0 (0–63). */
  volume: number;
  /** Duration in RTP timestamp units (0–65535). */
  duration: number;
}

export const TELEPHONE_EVENT_SIZE = 4;
const DIGITS = '0123456789*#ABCD';

/** Event code → '0'–'9', '*', '#', 'A'–'D'; undefined for non-DTMF events (e.g. 16 flash). */
export function eventToDigit(event: number): string | undefined {
  return event < 16 ? DIGITS[event] : undefined;
}

/** '0'–'9', '*', '#', 'A'–'D' (either case) → event code; undefined otherwise. */
export function digitToEvent(digit: string): number | undefined {
  const i = DIGITS.indexOf(digit.toUpperCase());
  return i < 0 || digit.length !== 1 ? undefined : i;
}

/** Parse the first event block of a payload into `out` (no allocation); false if too short. */
export function parseTelephoneEvent(payload: Uint8Array, out: TelephoneEvent, offset = 0, length = payload.length - offset): boolean {
  if (length < TELEPHONE_EVENT_SIZE) return false;
  out.event = payload[offset];
  out.end = (payload[offset + 1] & 0x80) !== 0;
  out.volume = payload[offset + 1] & 0x3f;
  out.duration = (payload[offset + 2] << 8) | payload[offset + 3];
  return true;
}

/** Write one event block into `dst` at `offset` (R bit 0); returns 4. */
export function writeTelephoneEvent(ev: TelephoneEvent, dst: Uint8Array, offset = 0): number {
  if (ev.duration < 0 || ev.duration > 0xffff) throw new RangeError('duration must fit 16 bits');
  dst[offset] = ev.event & 0xff;
  dst[offset + 1] = (ev.end ? 0x80 : 0) | (ev.volume & 0x3f);
  dst[offset + 2] = ev.duration >>> 8;
  dst[offset + 3] = ev.duration & 0xff;
  return TELEPHONE_EVENT_SIZE;
}

/** A finished key press. */
export interface Rfc4733DigitEvent {
  /** Digit character, or `event:<n>` for non-DTMF event codes. */
  digit: string;
  event: number;
  /** RTP timestamp of the event's first segment. */
  startTs: number;
  /** Total duration (all segments) in ms. */
  durationMs: number;
  volume: number;
  /** 'end': E bit seen; 'timeout': packets stopped; 'superseded': another event began. */
  reason: 'end' | 'timeout' | 'superseded';
}

export interface Rfc4733ReceiverOptions {
  /** Called once per event, when it ends. */
  onDigit: (ev: Rfc4733DigitEvent) => void;
  /** Optional: called once when an event starts (for barge-in). Default none. */
  onDigitStart?: (digit: string, startTs: number) => void;
  /** RTP clock rate of the telephone-event payload. Default 8000. */
  clockRate?: number;
  /** An event with no packet for this long is ended by `tick` (lost end packets). Default 250 ms. */
  timeoutMs?: number;
}

export class Rfc4733Receiver {
  private readonly onDigit: (ev: Rfc4733DigitEvent) => void;
  private readonly onDigitStart?: (digit: string, startTs: number) => void;
  private readonly clockRate: number;
  private readonly timeoutMs: number;
  private readonly scratch: TelephoneEvent = { event: 0, end: false, volume: 0, duration: 0 };

  private playing = false;
  private event = 0;
  private volume = 0;
  private firstTs = 0;
  /** RTP timestamp of the current segment. */
  private segTs = 0;
  /** Units accumulated in earlier segments (and duration wraps within one). */
  private carried = 0;
  private segDuration = 0;
  private lastPacketMs = 0;
  /** Segment timestamps of recently finished events: their retransmissions are ignored. */
  private readonly done = new Float64Array(4).fill(-1);
  private doneIdx = 0;

  constructor(opts: Rfc4733ReceiverOptions) {
    this.onDigit = opts.onDigit;
    this.onDigitStart = opts.onDigitStart;
    this.clockRate = opts.clockRate ?? 8000;
    this.timeoutMs = opts.timeoutMs ?? 250;
  }

  /** Feed one telephone-event RTP packet's fields and payload; `nowMs` is its arrival time. */
  onPacket(rtpTimestamp: number, marker: boolean, payload: Uint8Array, nowMs: number): void {
    const ev = this.scratch;
    if (!parseTelephoneEvent(payload, ev)) return;
    const ts = rtpTimestamp >>> 0;
    if (this.isDone(ts)) return; // retransmitted end packets, late duplicates
    if (this.playing && ts === this.segTs) {
      if (ev.event !== this.event) return; // RFC 4733 forbids this; keep the first
      // Some senders let the 16-bit duration wrap instead of starting a new segment.
      if (ev.duration + 0x8000 < this.segDuration) this.carried += 0x10000;
      this.segDuration = ev.duration;
      this.lastPacketMs = nowMs;
      if (ev.end) this.finish('end');
      return;
    }
    // RFC 4733 §2.5.1.3/§2.5.2.3: a long event continues in a new segment whose timestamp is
    // the previous one plus its (maxed-out) duration, same event code, marker bit clear.
    const continues = this.playing && !marker && ev.event === this.event &&
      ((ts - this.segTs) >>> 0) === this.segDuration && this.segDuration > 0;
    if (continues) {
      this.carried += this.segDuration;
    } else {
      if (this.playing) this.finish('superseded');
      this.playing = true;
      this.event = ev.event;
      this.firstTs = ts;
      this.carried = 0;
      this.onDigitStart?.(eventToDigit(ev.event) ?? `event:${ev.event}`, ts);
    }
    this.segTs = ts;
    this.segDuration = ev.duration;
    this.volume = ev.volume;
    this.lastPacketMs = nowMs;
    if (ev.end) this.finish('end');
  }

  /** Call periodically (the worker's 20 ms clock): ends an event whose end packets were lost. */
  tick(nowMs: number): void {
    if (this.playing && nowMs - this.lastPacketMs >= this.timeoutMs) this.finish('timeout');
  }

  private isDone(ts: number): boolean {
    const d = this.done;
    return d[0] === ts || d[1] === ts || d[2] === ts || d[3] === ts;
  }

  private finish(reason: Rfc4733DigitEvent['reason']): void {
    this.playing = false;
    this.done[this.doneIdx] = this.segTs;
    this.doneIdx = (this.doneIdx + 1) & 3;
    this.onDigit({
      digit: eventToDigit(this.event) ?? `event:${this.event}`,
      event: this.event,
      startTs: this.firstTs,
      durationMs: ((this.carried + this.segDuration) * 1000) / this.clockRate,
      volume: this.volume,
      reason,
    });
  }
}

/** One packet the sender should emit. */
export interface TelephoneEventPacket {
  /** When to send it, in ms after the event starts. */
  atMs: number;
  /** RTP marker bit: set on the first packet of an event only (RFC 4733 §2.5.1.2). */
  marker: boolean;
  /** RTP timestamp: the start of the event's current segment. */
  timestamp: number;
  /** The 4-byte payload. */
  payload: Uint8Array;
}

export interface TelephoneEventPlanOptions {
  /** '0'–'9', '*', '#', 'A'–'D'. */
  digit: string;
  /** Tone duration. */
  durationMs: number;
  /** RTP timestamp at the start of the event. */
  startTimestamp: number;
  /** Default 8000. */
  clockRate?: number;
  /** Interval between update packets. Default 50 ms (RFC 4733 §2.5.1.2 suggests 50 ms). */
  intervalMs?: number;
  /** Power level, −dBm0. Default 10. */
  volume?: number;
  /** Copies of the final packet (RFC 4733 §2.5.1.4: three). Default 3. */
  endCopies?: number;
}

/**
 * The packet sequence for one digit (RFC 4733 §2.5.1): a first packet with the marker bit and
 * duration 0, updates every `intervalMs` with the growing duration, and the final duration with
 * the E bit sent `endCopies` times with the same timestamp. Events longer than 0xFFFF units are
 * split into segments (§2.5.1.3). The caller assigns sequence numbers and the SSRC.
 */
export function planTelephoneEvent(opts: TelephoneEventPlanOptions): TelephoneEventPacket[] {
  const event = digitToEvent(opts.digit);
  if (event === undefined) throw new RangeError(`not a DTMF digit: ${JSON.stringify(opts.digit)}`);
  const rate = opts.clockRate ?? 8000;
  const interval = opts.intervalMs ?? 50;
  const volume = opts.volume ?? 10;
  const copies = opts.endCopies ?? 3;
  const total = Math.max(1, Math.round((opts.durationMs * rate) / 1000));
  const out: TelephoneEventPacket[] = [];
  const push = (atMs: number, marker: boolean, ts: number, duration: number, end: boolean) => {
    const payload = new Uint8Array(TELEPHONE_EVENT_SIZE);
    writeTelephoneEvent({ event, end, volume, duration }, payload);
    out.push({ atMs, marker, timestamp: ts >>> 0, payload });
  };
  let segStart = 0; // units since event start
  push(0, true, opts.startTimestamp, 0, false);
  for (let t = interval; ; t += interval) {
    const elapsed = Math.min(total, Math.round((t * rate) / 1000));
    if (elapsed - segStart > 0xffff) {
      // Close the full segment, then continue in a new one starting where it stopped.
      push(t, false, opts.startTimestamp + segStart, 0xffff, false);
      segStart += 0xffff;
    }
    if (elapsed >= total) {
      for (let i = 0; i < copies; i++) push((total * 1000) / rate, false, opts.startTimestamp + segStart, total - segStart, true);
      return out;
    }
    push(t, false, opts.startTimestamp + segStart, elapsed - segStart, false);
  }
}
