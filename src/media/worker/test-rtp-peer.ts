/**
 * Test-only (not exported from the index): a node:dgram RTP peer for engine tests, and the
 * signal helpers they share. It sends paced G.711 streams with optional deterministic
 * network jitter (reordering included) and loss, sends RFC 4733 digits, and collects what the
 * engine sends back — decoded to PCM in sequence-number order, with RTCP kept apart.
 */
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { ALAW_DECODE, ULAW_DECODE, pcmaEncodeInto, pcmuEncodeInto } from '../codecs/index.ts';
import { goertzelCoefficient, goertzelPower } from '../dsp/index.ts';
import { planTelephoneEvent } from '../dtmf/index.ts';
import { RtpHeader, parseRtcp, parseRtpHeader, writeRtp, type RtcpPacket } from '../rtp/index.ts';

export const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(fn: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await wait(10);
  }
}

/** Deterministic PRNG (mulberry32) so "random" jitter and loss are the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ReceivedRtp {
  seq: number;
  ts: number;
  pt: number;
  marker: boolean;
  ssrc: number;
  payload: Buffer;
  atMs: number;
}

export interface SendOptions {
  payloadType?: number;
  codec?: 'PCMU' | 'PCMA';
  /** Extra network delay per packet, uniformly 0…jitterMs (reorders packets). Default 0. */
  jitterMs?: number;
  /** Fraction of packets dropped. Default 0. */
  loss?: number;
  seed?: number;
  ssrc?: number;
}

export class RtpPeer {
  readonly rtp: ReceivedRtp[] = [];
  readonly rtcp: RtcpPacket[][] = [];
  /** performance.now() at the arrival of each rtcp[] entry. */
  readonly rtcpAt: number[] = [];
  private seq = 1000;
  private ts = 80000;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(readonly sock: Socket, readonly port: number) {
    sock.on('message', (m) => {
      if (m.length >= 8 && m[1] >= 200 && m[1] <= 204) {
        try {
          this.rtcp.push(parseRtcp(m));
          this.rtcpAt.push(performance.now());
        } catch {
          // not ours to judge
        }
        return;
      }
      const h = new RtpHeader();
      if (parseRtpHeader(m, h) !== undefined) return;
      this.rtp.push({ seq: h.sequenceNumber, ts: h.timestamp, pt: h.payloadType, marker: h.marker, ssrc: h.ssrc, payload: m.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength), atMs: performance.now() });
    });
  }

  static async open(port = 0): Promise<RtpPeer> {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(port, '127.0.0.1', () => r()));
    return new RtpPeer(sock, sock.address().port);
  }

  send(buf: Uint8Array, toPort: number): void {
    this.sock.send(buf, toPort, '127.0.0.1');
  }

  /** One raw RTP packet. */
  sendRtp(toPort: number, pt: number, payload: Uint8Array, o: { seq?: number; ts?: number; marker?: boolean; ssrc?: number } = {}): void {
    const b = Buffer.alloc(12 + payload.length);
    writeRtp({ marker: o.marker ?? false, payloadType: pt, sequenceNumber: (o.seq ?? this.seq++) & 0xffff, timestamp: (o.ts ?? this.ts) >>> 0, ssrc: o.ssrc ?? 0x5eed }, payload, b);
    this.send(b, toPort);
  }

  /**
   * Send `pcm` (8 kHz) as 20 ms G.711 packets paced in real time (packet i due at start + 20·i ms,
   * plus its jitter); resolves when the last one went out.
   */
  async stream(toPort: number, pcm: Int16Array, o: SendOptions = {}): Promise<void> {
    const rnd = prng(o.seed ?? 1);
    const frames = Math.ceil(pcm.length / 160);
    const pt = o.payloadType ?? (o.codec === 'PCMA' ? 8 : 0);
    const enc = o.codec === 'PCMA' ? pcmaEncodeInto : pcmuEncodeInto;
    const t0 = performance.now() + 5;
    const firstSeq = this.seq;
    const firstTs = this.ts;
    this.seq = (this.seq + frames) & 0xffff;
    this.ts = (this.ts + frames * 160) >>> 0;
    let last = 0;
    await new Promise<void>((resolve) => {
      let pending = frames;
      if (pending === 0) resolve();
      for (let i = 0; i < frames; i++) {
        const frame = new Int16Array(160);
        frame.set(pcm.subarray(i * 160, Math.min(pcm.length, (i + 1) * 160)));
        const payload = new Uint8Array(160);
        enc(frame, payload, 160);
        const lost = rnd() < (o.loss ?? 0);
        const delay = t0 + i * 20 + rnd() * (o.jitterMs ?? 0) - performance.now();
        last = Math.max(last, delay);
        const t = setTimeout(() => {
          this.timers.delete(t);
          if (!lost) this.sendRtp(toPort, pt, payload, { seq: firstSeq + i, ts: firstTs + i * 160, marker: i === 0, ...(o.ssrc ? { ssrc: o.ssrc } : {}) });
          if (--pending === 0) resolve();
        }, Math.max(0, delay));
        this.timers.add(t);
      }
    });
  }

  /** An RFC 4733 digit (marker, updates, 3 end packets), sent at once after the audio sequence. */
  sendDigit(toPort: number, digit: string, pt = 101, durationMs = 100): void {
    for (const pk of planTelephoneEvent({ digit, durationMs, startTimestamp: this.ts })) {
      this.sendRtp(toPort, pt, pk.payload, { ts: pk.timestamp, marker: pk.marker });
    }
    this.ts = (this.ts + durationMs * 8) >>> 0;
  }

  /** Received audio of payload type `pt`, in sequence order, decoded (gaps as silence). */
  decoded(pt = 0, from = 0): Int16Array {
    const pk = this.rtp.slice(from).filter((p) => p.pt === pt).sort((a, b) => ((((a.seq - b.seq) << 16) >> 16)));
    const table = pt === 8 ? ALAW_DECODE : ULAW_DECODE;
    const out = new Int16Array(pk.reduce((n, p) => n + p.payload.length, 0));
    let o = 0;
    for (const p of pk) for (let i = 0; i < p.payload.length; i++) out[o++] = table[p.payload[i]];
    return out;
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.sock.close();
  }
}

/** Linear chirp f0 → f1 over `seconds` at `rate`, peak `amp`. */
export function chirp(f0: number, f1: number, seconds: number, rate: number, amp = 12000): Int16Array {
  const n = Math.round(seconds * rate);
  const out = new Int16Array(n);
  const k = (f1 - f0) / seconds;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    out[i] = Math.round(amp * Math.sin(2 * Math.PI * (f0 * t + (k * t * t) / 2)));
  }
  return out;
}

export function sine(freq: number, seconds: number, rate: number, amp = 10000): Int16Array {
  const n = Math.round(seconds * rate);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amp * Math.sin((2 * Math.PI * freq * i) / rate));
  return out;
}

/** Frequency (step Hz) with the most Goertzel power between lo and hi. */
export function dominantHz(x: ArrayLike<number>, rate: number, lo = 100, hi = rate / 2 - 100, step = 10): number {
  const f = Float64Array.from(x as ArrayLike<number>);
  let best = 0;
  let bestP = -1;
  for (let hz = lo; hz <= hi; hz += step) {
    const p = goertzelPower(f, 0, f.length, goertzelCoefficient(hz, rate));
    if (p > bestP) {
      bestP = p;
      best = hz;
    }
  }
  return best;
}

/** Power at `hz` relative to the total energy (0…~1). */
export function toneShare(x: ArrayLike<number>, rate: number, hz: number): number {
  const f = Float64Array.from(x as ArrayLike<number>);
  let e = 0;
  for (let i = 0; i < f.length; i++) e += f[i] * f[i];
  if (e === 0) return 0;
  // Goertzel power of a sine of amplitude A over N samples ≈ (A·N/2)²; its energy is A²·N/2.
  return goertzelPower(f, 0, f.length, goertzelCoefficient(hz, rate)) / (e * f.length / 2);
}

/** A PCMU payload with sound in it (mean |sample| above 500): a prompt's tone, not silence. */
export function loudPcmu(payload: Uint8Array): boolean {
  let s = 0;
  for (let i = 0; i < payload.length; i++) s += Math.abs(ULAW_DECODE[payload[i]]);
  return s / payload.length > 500;
}

export function rms(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, x.length));
}

/**
 * Best normalized cross-correlation of `rec` against `src` over lags 0…maxLag (rec delayed),
 * computed on the overlap. Returns the peak and its lag.
 */
export function bestCorrelation(src: ArrayLike<number>, rec: ArrayLike<number>, maxLag: number, step = 1): { ncc: number; lag: number } {
  let best = { ncc: -1, lag: 0 };
  const scan = (from: number, to: number, st: number) => {
    for (let lag = from; lag <= to; lag += st) {
      const n = Math.min(src.length, rec.length - lag);
      if (n <= 0) break;
      let xy = 0;
      let xx = 0;
      let yy = 0;
      for (let i = 0; i < n; i++) {
        const a = src[i];
        const b = rec[i + lag];
        xy += a * b;
        xx += a * a;
        yy += b * b;
      }
      const ncc = xx > 0 && yy > 0 ? xy / Math.sqrt(xx * yy) : 0;
      if (ncc > best.ncc) best = { ncc, lag };
    }
  };
  scan(0, maxLag, step);
  if (step > 1) scan(Math.max(0, best.lag - step), best.lag + step, 1);
  return best;
}

/**
 * NCC after piecewise alignment: `src` is cut into `segment`-sample pieces, each aligned on its own
 * (lags 0…maxLag into `rec`), and the energy-weighted mean of their NCCs returned. An adaptive
 * jitter buffer legitimately shifts audio by whole frames when it grows or shrinks; a global
 * alignment would count every such shift as dissimilarity.
 */
export function segmentCorrelation(src: Int16Array, rec: Int16Array, maxLag: number, segment = 800): { ncc: number; worst: number } {
  let sum = 0;
  let wsum = 0;
  let worst = 1;
  for (let s = 0; s + segment <= src.length; s += segment) {
    const piece = src.subarray(s, s + segment);
    let e = 0;
    for (let i = 0; i < piece.length; i++) e += piece[i] * piece[i];
    if (e === 0) continue;
    const from = Math.max(0, s - maxLag);
    const r = bestCorrelation(piece, rec.subarray(from, Math.min(rec.length, s + maxLag + segment)), 2 * maxLag);
    sum += r.ncc * e;
    wsum += e;
    worst = Math.min(worst, r.ncc);
  }
  return { ncc: wsum > 0 ? sum / wsum : 0, worst };
}

/** Mono (or one channel of) 16-bit PCM from a WAV file with any chunk layout. */
export function readWavPcm(path: string, channel = 0): { rate: number; channels: number; samples: Int16Array; dataBytes: number } {
  const b = readFileSync(path);
  let off = 12;
  let rate = 8000;
  let channels = 1;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    if (id === 'fmt ') {
      channels = b.readUInt16LE(off + 10);
      rate = b.readUInt32LE(off + 12);
    }
    if (id === 'data') {
      const end = Math.min(b.length, off + 8 + size);
      const n = Math.floor((end - off - 8) / 2 / channels);
      const s = new Int16Array(n);
      for (let i = 0; i < n; i++) s[i] = b.readInt16LE(off + 8 + (i * channels + channel) * 2);
      return { rate, channels, samples: s, dataBytes: size };
    }
    off += 8 + size + (size & 1);
  }
  throw new Error(`no data chunk in ${path}`);
}

/** Send `pcm` (16 kHz) as 20 ms L16 packets (RFC 3551 §4.5.11, big-endian), paced in real time. */
export async function streamL16(peer: RtpPeer, toPort: number, pcm: Int16Array): Promise<void> {
  const t0 = performance.now();
  for (let i = 0, seq = 500; (i + 1) * 320 <= pcm.length; i++, seq++) {
    const payload = Buffer.alloc(640);
    for (let k = 0; k < 320; k++) payload.writeInt16BE(pcm[i * 320 + k]!, 2 * k);
    peer.sendRtp(toPort, 96, payload, { seq, ts: 16000 + i * 320, ssrc: 0x16 });
    const due = t0 + (i + 1) * 20 - performance.now();
    if (due > 0) await wait(due);
  }
}

/** Received L16 (payload type 96) in sequence order, decoded. */
export function decodedL16(peer: RtpPeer): Int16Array {
  const pk = peer.rtp.filter((p) => p.pt === 96).sort((a, b) => (((a.seq - b.seq) << 16) >> 16));
  const out = new Int16Array(pk.reduce((n, p) => n + (p.payload.length >> 1), 0));
  let o = 0;
  for (const p of pk) for (let i = 0; i + 1 < p.payload.length; i += 2) out[o++] = p.payload.readInt16BE(i);
  return out;
}
