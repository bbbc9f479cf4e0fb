/**
 * Opus (RFC 6716) for RTP (RFC 7587): encode and decode 20 ms mono frames, through libopus
 * compiled to WebAssembly by the `opusscript` package (docs/adr/0002-opus-package.md: no native
 * build, installs offline). RTP's Opus clock is always 48 kHz and SDP says opus/48000/2
 * (RFC 7587 §7); we send mono, which every Opus decoder accepts, and decode to mono.
 *
 * The package's own JS wrapper is bypassed: it computes buffer addresses in the wrong unit
 * (a byte pointer used as a 16-bit index) and decodes lost packets into a buffer too small for
 * the 120 ms libopus conceals by default. We drive its emscripten module directly: one wasm
 * instance per thread, and per codec malloc'ed buffers sized for the worst case. The C glue
 * takes PCM as one byte per 16-bit slot (it repacks in place), so samples are spread into
 * HEAPU16 byte by byte. Heap views are re-read from the module on each call, since the wasm
 * memory grows (and replaces its ArrayBuffer) when many codecs exist. Encode and decode
 * allocate nothing in JS.
 */
import { createRequire } from 'node:module';

/** libopus encoder CTLs used here (opus_defines.h). */
const OPUS_SET_BITRATE = 4002;
const OPUS_SET_COMPLEXITY = 4010;
const OPUS_SET_INBAND_FEC = 4012;
const OPUS_SET_PACKET_LOSS_PERC = 4014;
const APPLICATION = { voip: 2048, audio: 2049 } as const;
/** libopus's largest packet for one opus_encode call, as the glue code's MAX_PACKET_SIZE. */
const MAX_PACKET = 1276 * 3;
/** The glue decodes into 120 ms at 48 kHz per call (MAX_FRAME_SIZE); PLC always fills all of it. */
const MAX_DECODE = 5760;

interface Handler {
  _encode(input: number, samples: number, output: number, frameSize: number): number;
  _decode(input: number, bytes: number, output: number): number;
  _encoder_ctl(ctl: number, arg: number): number;
  _decoder_ctl(ctl: number, arg: number): number;
  delete(): void;
}
interface OpusModule {
  HEAPU8: Uint8Array;
  HEAPU16: Uint16Array;
  HEAP16: Int16Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  OpusScriptHandler: new (rate: number, channels: number, application: number) => Handler;
}

let wasm: OpusModule | undefined;
function opusModule(): OpusModule {
  // Lazy: importing the codecs index must not instantiate 300 KB of wasm in every thread.
  wasm ??= (createRequire(import.meta.url)('opusscript/build/opusscript_native_wasm.js') as () => OpusModule)();
  return wasm;
}

export type OpusRate = 8000 | 12000 | 16000 | 24000 | 48000;

export interface OpusCodecOptions {
  /** Rate of the PCM given and returned (the RTP clock stays 48 kHz). Default 48000. */
  rate?: OpusRate;
  /** Samples per encoded frame, as ms. Default 20. */
  frameMs?: 10 | 20 | 40 | 60;
  /** Target bitrate, bit/s. Default 32000 (fullband speech; RFC 7587 §3.1.1 ranges). */
  bitrate?: number;
  /** Encoder complexity 0–10: CPU against quality. Default 5 (libopus's 10 costs ~2× CPU for little on speech). */
  complexity?: number;
  /** 'voip' favours speech intelligibility, 'audio' fidelity. Default 'voip'. */
  application?: 'voip' | 'audio';
  /** In-band FEC (LBRR) with this expected loss percentage; 0 = off. Default 0. */
  fecLossPercent?: number;
}

export class OpusCodec {
  readonly name = 'opus';
  /** RTP timestamp clock (RFC 7587 §4.1). */
  readonly clockRate = 48000;
  readonly rate: OpusRate;
  /** Samples per frame at `rate` (960 for 20 ms at 48 kHz). */
  readonly frameSamples: number;
  private readonly m: OpusModule;
  private handler: Handler | undefined;
  private readonly pcmIn: number;
  private readonly packetBuf: number;
  private readonly pcmOut: number;

  constructor(opts: OpusCodecOptions = {}) {
    this.rate = opts.rate ?? 48000;
    if (![8000, 12000, 16000, 24000, 48000].includes(this.rate)) throw new RangeError(`Opus cannot run at ${this.rate} Hz`);
    this.frameSamples = (this.rate * (opts.frameMs ?? 20)) / 1000;
    const m = (this.m = opusModule());
    this.handler = new m.OpusScriptHandler(this.rate, 1, APPLICATION[opts.application ?? 'voip']);
    // PCM in: 2 slots of 16 bits per sample (one byte each); out: the same for a full 120 ms.
    this.pcmIn = m._malloc(this.frameSamples * 4);
    this.packetBuf = m._malloc(MAX_PACKET);
    this.pcmOut = m._malloc(MAX_DECODE * 4);
    if (!this.pcmIn || !this.packetBuf || !this.pcmOut) {
      this.close();
      throw new Error('Opus: out of wasm memory');
    }
    this.ctl(OPUS_SET_BITRATE, opts.bitrate ?? 32000);
    this.ctl(OPUS_SET_COMPLEXITY, opts.complexity ?? 5);
    const loss = opts.fecLossPercent ?? 0;
    this.ctl(OPUS_SET_INBAND_FEC, loss > 0 ? 1 : 0);
    this.ctl(OPUS_SET_PACKET_LOSS_PERC, loss);
  }

  /**
   * Encode one frame (pcm.length must be frameSamples) into `out` (≥ 1276 bytes is always
   * enough for one frame); returns the packet length, or a negative libopus error code.
   */
  encode(pcm: Int16Array, out: Uint8Array): number {
    const h = this.live();
    const n = this.frameSamples;
    if (pcm.length < n) throw new RangeError(`Opus frame needs ${n} samples, got ${pcm.length}`);
    const u16 = this.m.HEAPU16;
    for (let i = 0, j = this.pcmIn >> 1; i < n; i++, j += 2) {
      const s = pcm[i];
      u16[j] = s & 0xff; // little-endian byte pairs, one per slot, as the glue expects
      u16[j + 1] = (s >> 8) & 0xff;
    }
    const len = h._encode(this.pcmIn, n, this.packetBuf, n);
    if (len < 0) return len;
    if (len > out.length) throw new RangeError(`Opus packet of ${len} bytes does not fit in ${out.length}`);
    const u8 = this.m.HEAPU8;
    for (let i = 0, p = this.packetBuf; i < len; i++, p++) out[i] = u8[p];
    return len;
  }

  /**
   * Decode one packet into `out`; returns samples written (at most out.length), or a negative
   * libopus error code for a corrupt packet. `null` (or an empty payload) means the packet was
   * lost: libopus packet-loss concealment fills one frame (frameSamples) from the decoder state.
   * Partial: the glue has no way to ask for FEC decoding of the next packet, nor a PLC of only
   * one frame; a concealment advances the decoder by 120 ms internally, of which we return 20.
   */
  decode(payload: Uint8Array | null, out: Int16Array): number {
    const h = this.live();
    const u8 = this.m.HEAPU8;
    const lost = payload === null || payload.length === 0;
    if (!lost) {
      if (payload.length > MAX_PACKET) return -4; // OPUS_INVALID_PACKET
      u8.set(payload, this.packetBuf);
    }
    const got = h._decode(this.packetBuf, lost ? 0 : payload.length, this.pcmOut);
    if (got < 0) return got;
    const n = Math.min(lost ? this.frameSamples : got, out.length);
    const u = this.m.HEAPU16;
    for (let i = 0, j = this.pcmOut >> 1; i < n; i++, j += 2) out[i] = (u[j] | (u[j + 1] << 8)) << 16 >> 16;
    return n;
  }

  /** Free the codec's wasm state. Idempotent; encode/decode afterwards throw. */
  close(): void {
    if (!this.handler) return;
    this.handler.delete();
    this.handler = undefined;
    for (const p of [this.pcmIn, this.packetBuf, this.pcmOut]) if (p) this.m._free(p);
  }

  private ctl(ctl: number, arg: number): void {
    const r = this.live()._encoder_ctl(ctl, arg);
    if (r < 0) throw new RangeError(`Opus encoder ctl ${ctl}=${arg} failed (${r})`);
  }

  private live(): Handler {
    if (!this.handler) throw new Error('Opus codec is closed');
    return this.handler;
  }
}
