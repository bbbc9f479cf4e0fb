/**
 * One DTMF event stream per endpoint from three sources (the source is recorded): RFC 4733
 * telephone-events, in-band tones in the decoded audio, and SIP INFO digits injected from
 * signaling. Also the cheap energy gate in front of the in-band detector: Goertzel costs
 * ~27 µs per frame, which 1,000 calls on 2 cores cannot afford on every frame, so frames
 * quieter than the detector's minimum tone level skip it (a short hang-over still feeds the
 * frames after a loud one, so a digit's end is seen).
 */
import { InbandDtmfDetector, Rfc4733Receiver } from '../dtmf/index.ts';
import type { DtmfEventData } from './endpoint-types.ts';

/** Mean square of one DTMF tone at the in-band detector's minimum level (360 of 32768) covering a quarter of a frame. */
const GATE_MEAN_SQUARE = (360 * 360) / 2 / 4;
/** Frames still fed after the last loud one. */
const HANGOVER_FRAMES = 3;

export class DtmfDetectors {
  private rfc4733: Rfc4733Receiver | undefined;
  private inband: InbandDtmfDetector | undefined;
  private hangover = 0;
  /** Frames that skipped Goertzel thanks to the gate (for benchmarks). */
  gatedFrames = 0;
  inbandFrames = 0;

  constructor(private readonly emit: (ev: DtmfEventData) => void, private readonly teClockRate: number) {}

  configure(opts: { rfc4733: boolean; inband: boolean; audioRate: number }): void {
    this.rfc4733 = opts.rfc4733
      ? this.rfc4733 ?? new Rfc4733Receiver({
          clockRate: this.teClockRate,
          onDigit: (ev) => {
            if (ev.digit.length === 1) this.emit({ digit: ev.digit, source: 'rfc4733', durationMs: Math.round(ev.durationMs) });
          },
        })
      : undefined;
    // The in-band detector works at 8 kHz; other rates would need a resampler on the hot path (not done).
    this.inband = opts.inband && opts.audioRate === 8000
      ? this.inband ?? new InbandDtmfDetector({ onDigit: (ev) => this.emit({ digit: ev.digit, source: 'inband', durationMs: Math.round(ev.durationMs) }) })
      : undefined;
  }

  get active(): boolean {
    return this.rfc4733 !== undefined || this.inband !== undefined;
  }

  onTelephoneEvent(rtpTimestamp: number, marker: boolean, payload: Uint8Array, nowMs: number): void {
    this.rfc4733?.onPacket(rtpTimestamp, marker, payload, nowMs);
  }

  /** One decoded inbound frame (8 kHz) with the RTP timestamp of its first sample. */
  onAudio(frame: Int16Array, ts: number): void {
    const det = this.inband;
    if (!det) return;
    let sum = 0;
    for (let i = 0; i < frame.length; i++) sum += frame[i] * frame[i];
    if (sum / frame.length >= GATE_MEAN_SQUARE) {
      this.hangover = HANGOVER_FRAMES;
    } else if (this.hangover > 0) {
      this.hangover--;
    } else {
      this.gatedFrames++;
      return;
    }
    this.inbandFrames++;
    det.process(frame, ts);
  }

  injectInfo(digit: string, durationMs: number): void {
    this.emit({ digit, source: 'info', durationMs });
  }

  tick(nowMs: number): void {
    this.rfc4733?.tick(nowMs);
  }
}
