/**
 * Tick phase 1 of one RtpEndpoint: take this tick's inbound frame from the jitter buffer
 * (concealed where lost) and feed what listens to it — the DTMF detectors (in-band; RFC 4733
 * events arrive on the packet path, rtp-receiver.ts) and the VAD — and notice when RTP has
 * stopped arriving (the rtpTimeout event, once per silence).
 *
 * The frame it fills is the endpoint's `inFrame`, which the outbound phase (recording, streaming,
 * echo) and the bridged peer or conference then read: that is why the worker runs this phase on
 * every endpoint before any dependent outbound phase. Never owns a timer; allocates nothing.
 */
import type { DtmfDetectors } from './dtmf-detectors.ts';
import type { EndpointHost, VadLike } from './endpoint-host.ts';
import type { RtpReceiver } from './rtp-receiver.ts';

export class InboundPath {
  /** RTP-clock position of the inbound frame, for the in-band detector's event timestamps. */
  private inTs = 0;
  private timeoutFired = false;
  private vad: VadLike | undefined;

  constructor(
    private readonly rx: RtpReceiver,
    private readonly detectors: DtmfDetectors,
    /** The endpoint's inFrame: filled here every tick. */
    private readonly frame: Int16Array,
    /** Silence on the RTP port (ms) before 'rtpTimeout' fires. */
    private readonly rtpTimeoutMs: number,
    private readonly host: EndpointHost,
    private readonly onVad: (v: 'speech-start' | 'speech-end') => void,
  ) {}

  /** Take this tick's inbound frame from the jitter buffer and feed detectors and VAD; true when it holds audio (received or concealed). */
  pull(nowMs: number): boolean {
    const kind = this.rx.jb.get(this.frame);
    let have = false;
    if (kind !== 'silence') {
      have = true;
      this.inTs = (this.inTs + this.frame.length) >>> 0;
      this.detectors.onAudio(this.frame, this.inTs);
      if (this.vad) {
        const v = this.vad.process(this.frame);
        if (v) this.onVad(v);
      }
    }
    this.detectors.tick(nowMs);
    if (!this.timeoutFired && nowMs - this.rx.lastRtpMs >= this.rtpTimeoutMs) {
      this.timeoutFired = true;
      this.host.emit('rtpTimeout', { silentMs: Math.round(nowMs - this.rx.lastRtpMs) });
    }
    return have;
  }

  /** An RTP packet was accepted: the next silence may time out again. */
  rtpArrived(): void {
    this.timeoutFired = false;
  }

  get hasVad(): boolean {
    return this.vad !== undefined;
  }

  /** Use `vad` (closing the one running), or none. */
  setVad(vad: VadLike | undefined): void {
    this.vad?.close();
    this.vad = vad;
  }
}
