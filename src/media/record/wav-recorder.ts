/**
 * Crash-safe incremental WAV recorder: 16-bit PCM, mono (e.g. the mix) or stereo interleaved
 * (left = caller, right = bot), appended in chunks with fs.writeSync so a recording of any
 * length costs a small fixed buffer.
 *
 * Crash safety: a WAV whose RIFF and data sizes are 0 (or stale) is unreadable by most players,
 * so after every flush the two size fields are rewritten (two 4-byte positioned writes) to match
 * exactly the bytes written so far. Flushes happen every `flushMs` of audio (default 500 ms, and
 * never more than 1000 ms), so after `kill -9` the file is a valid WAV holding everything up to
 * the last flush. Bytes handed to write(2) live in the kernel page cache and survive the death
 * of the process; surviving a power cut would need fsync, which is deliberately not paid per
 * flush (not offered at all yet).
 *
 * Flushes are driven by the audio written, not by a wall-clock timer: the engine writes a frame
 * every 20 ms tick (silence included), so audio time and wall time agree. A caller that stops
 * writing for a while leaves at most `flushMs` of audio unflushed until the next write or close.
 *
 * Must never: allocate per frame, throw on a full disk mid-call without closing the file
 * descriptor (write errors close the file and are rethrown once), or write past its limits.
 *
 * Layout (RIFF/WAVE, canonical 44-byte header):
 * ```
 *  0 "RIFF"  4 riffSize=36+dataBytes  8 "WAVE"
 * 12 "fmt "  16 16  20 format=1 (PCM)  22 channels  24 rate  28 byteRate  32 blockAlign  34 bits=16
 * 36 "data"  40 dataBytes  44 samples… (little-endian, interleaved L R L R for stereo)
 * ```
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';

/** WAV samples are little-endian; on such hosts (all Node targets in practice) a typed-array view is copied straight in. */
const HOST_LE = endianness() === 'LE';

export interface WavRecorderOptions {
  /** Sample rate in Hz (the media rate of what is recorded). Required. */
  rate: number;
  /** 1 = mono, 2 = stereo interleaved caller (left) / bot (right). Required. */
  channels: 1 | 2;
  /** Stop writing after this much audio; the result says truncated. Default unlimited. */
  maxDurationMs?: number;
  /** Stop writing before the file (header included) exceeds this many bytes. Default unlimited. */
  maxBytes?: number;
  /** Audio buffered between flushes (header sizes rewritten at each), 20–1000 ms. Default 500. */
  flushMs?: number;
}

export interface WavRecordingResult {
  /** Duration of the audio in the file. */
  durationMs: number;
  /** Size of the file in bytes, header included. */
  bytes: number;
  /** True when a duration or size limit cut the recording short. */
  truncated: boolean;
}

const HEADER_BYTES = 44;

/** The canonical header for `dataBytes` of audio. */
export function wavHeader(rate: number, channels: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

export class WavRecorder {
  readonly rate: number;
  readonly channels: 1 | 2;
  readonly path: string;
  private fd: number;
  private closed = false;
  private result: WavRecordingResult | undefined;
  /** Pending audio not yet written; flushed when full. */
  private readonly buf: Buffer;
  /** The same memory as 16-bit samples (little-endian hosts). */
  private readonly samples: Int16Array;
  /** Pending bytes in buf (always even). */
  private bufUsed = 0;
  /** Audio bytes already written to the file after the header. */
  private written = 0;
  /** Most audio bytes the limits allow (a multiple of the block size). */
  private readonly limitBytes: number;
  private truncated = false;
  /** Reused 4-byte scratch for the size rewrites. */
  private readonly sizeScratch = Buffer.alloc(4);

  private constructor(path: string, fd: number, opts: WavRecorderOptions) {
    this.path = path;
    this.fd = fd;
    this.rate = opts.rate;
    this.channels = opts.channels;
    const block = 2 * opts.channels;
    const flushMs = Math.min(1000, Math.max(20, opts.flushMs ?? 500));
    this.buf = Buffer.alloc(Math.ceil((opts.rate * flushMs) / 1000) * block);
    this.samples = new Int16Array(this.buf.buffer, this.buf.byteOffset, this.buf.length >> 1);
    let limit = Number.MAX_SAFE_INTEGER;
    if (opts.maxDurationMs !== undefined) limit = Math.min(limit, Math.floor((opts.rate * opts.maxDurationMs) / 1000) * block);
    if (opts.maxBytes !== undefined) limit = Math.min(limit, Math.max(0, opts.maxBytes - HEADER_BYTES));
    // RIFF sizes are 32-bit: cap well below 4 GiB so riffSize cannot overflow.
    limit = Math.min(limit, 0xffff_ff00 - HEADER_BYTES);
    this.limitBytes = limit - (limit % block);
  }

  /** Create (or truncate) `path` and write a header for an empty recording. Throws on open errors. */
  static open(path: string, opts: WavRecorderOptions): WavRecorder {
    if (!(Number.isInteger(opts.rate) && opts.rate > 0)) throw new RangeError('rate must be a positive integer');
    if (opts.channels !== 1 && opts.channels !== 2) throw new RangeError('channels must be 1 or 2');
    const fd = openSync(path, 'w');
    try {
      writeSync(fd, wavHeader(opts.rate, opts.channels, 0), 0, HEADER_BYTES, 0);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    return new WavRecorder(path, fd, opts);
  }

  /** True once a limit was reached: further frames are ignored. */
  get isTruncated(): boolean {
    return this.truncated;
  }

  /** Audio accepted so far (written or buffered), in ms. */
  get durationMs(): number {
    return (((this.written + this.bufUsed) / (2 * this.channels)) * 1000) / this.rate;
  }

  /** AudioSink-style alias of {@link writeMono} (mono recorders only). */
  write(frame: Int16Array): void {
    this.writeMono(frame);
  }

  /** Append a mono frame (channels 1). Throws once closed. */
  writeMono(frame: Int16Array): void {
    this.assertOpen();
    if (this.channels !== 1) throw new Error('writeMono on a stereo recorder');
    let i = 0;
    while (i < frame.length) {
      const room = this.room();
      if (room === 0) return;
      const n = Math.min(frame.length - i, room >> 1);
      const o = this.bufUsed;
      if (HOST_LE) this.samples.set(n === frame.length ? frame : frame.subarray(i, i + n), o >> 1);
      else for (let k = 0; k < n; k++) this.buf.writeInt16LE(frame[i + k], o + 2 * k);
      this.bufUsed = o + 2 * n;
      i += n;
      if (this.bufUsed === this.buf.length) this.flush();
    }
  }

  /** Append one stereo frame: `left` (caller) and `right` (bot), same length. Throws once closed. */
  writeStereo(left: Int16Array, right: Int16Array): void {
    this.assertOpen();
    if (this.channels !== 2) throw new Error('writeStereo on a mono recorder');
    if (left.length !== right.length) throw new RangeError('left and right frames differ in length');
    let i = 0;
    while (i < left.length) {
      const room = this.room();
      if (room === 0) return;
      const n = Math.min(left.length - i, room >> 2);
      const o = this.bufUsed;
      if (HOST_LE) {
        const s = this.samples;
        for (let k = 0, j = o >> 1; k < n; k++, j += 2) {
          s[j] = left[i + k];
          s[j + 1] = right[i + k];
        }
      } else {
        for (let k = 0; k < n; k++) {
          this.buf.writeInt16LE(left[i + k], o + 4 * k);
          this.buf.writeInt16LE(right[i + k], o + 4 * k + 2);
        }
      }
      this.bufUsed = o + 4 * n;
      i += n;
      if (this.bufUsed === this.buf.length) this.flush();
    }
  }

  /** Write buffered audio and rewrite the header sizes now (also done automatically). */
  flush(): void {
    if (this.closed) return;
    if (this.bufUsed > 0) {
      try {
        let off = 0;
        while (off < this.bufUsed) {
          off += writeSync(this.fd, this.buf, off, this.bufUsed - off, HEADER_BYTES + this.written + off);
        }
      } catch (err) {
        this.fail();
        throw err;
      }
      this.written += this.bufUsed;
      this.bufUsed = 0;
    }
    this.writeSizes();
  }

  /**
   * Flush, fix the header and close the file. Idempotent: later calls return the same result.
   * Writes after close throw.
   */
  async close(): Promise<WavRecordingResult> {
    if (this.result) return this.result;
    if (!this.closed) {
      try {
        this.flush();
      } finally {
        if (!this.closed) {
          this.closed = true;
          closeSync(this.fd);
        }
      }
    }
    this.result = {
      durationMs: ((this.written / (2 * this.channels)) * 1000) / this.rate,
      bytes: HEADER_BYTES + this.written,
      truncated: this.truncated,
    };
    return this.result;
  }

  /** Bytes that may still go into the buffer: limited by the buffer and by the limits. */
  private room(): number {
    const left = this.limitBytes - this.written - this.bufUsed;
    if (left <= 0) {
      if (!this.truncated) {
        this.truncated = true;
        this.flush(); // get the last accepted audio onto disk now rather than at close
      }
      return 0;
    }
    return Math.min(left, this.buf.length - this.bufUsed);
  }

  private writeSizes(): void {
    const s = this.sizeScratch;
    try {
      s.writeUInt32LE(36 + this.written, 0);
      writeSync(this.fd, s, 0, 4, 4);
      s.writeUInt32LE(this.written, 0);
      writeSync(this.fd, s, 0, 4, 40);
    } catch (err) {
      this.fail();
      throw err;
    }
  }

  private fail(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      closeSync(this.fd);
    } catch {
      // already failing: the original error is the one worth reporting
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`recorder for ${this.path} is closed`);
  }
}
