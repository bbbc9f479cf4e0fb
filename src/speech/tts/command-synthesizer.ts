/**
 * Text-to-speech by an external program (configuration `speech.tts.provider: command`,
 * docs/speech.md "Hosted providers"): for each prompt not in the cache, spawn the configured argv
 * with its placeholders filled in, read a RIFF/WAVE file from its stdout and return it as mono
 * Int16 at the file's own rate. It is the seam for a hosted or heavier local engine without a
 * client built into Switchboard: a vendor CLI, a `curl` to an HTTP TTS service, piper, espeak-ng.
 *
 * Placeholders, replaced inside each argv element (never through a shell, so text cannot inject
 * arguments or commands): `{text}` the text to speak, `{voice}` the voice (request voice, else its
 * language lower-cased as espeak-ng names it, else `defaultVoice`), `{language}` the BCP 47
 * language (default 'en-US'), `{rate}` the speaking-rate factor (1 = normal), `{wpm}` that factor
 * × 175 words per minute (espeak-ng's `-s`).
 *
 * Partial, on purpose: SSML requests are spoken as their text only (breaks, say-as and prosody are
 * dropped) because a generic program has no agreed SSML dialect. The program must write PCM WAV
 * (8/16-bit integer, any rate, any channel count — channels are averaged); float or compressed
 * WAV is refused.
 *
 * It must never run more than `maxConcurrent` programs at once (a burst of prompts would otherwise
 * fork-bomb the node) nor wait on one longer than `timeoutMs`.
 */
import { spawn } from 'node:child_process';
import { AudioCache, type AudioCacheOptions } from './audio-cache.ts';
import { checkSynthesisRequest, voiceFor } from './espeak-synthesizer.ts';
import { ssmlToSegments } from './ssml.ts';
import { SpeechError, type SynthesisRequest, type SynthesisResult, type Synthesizer } from '../types.ts';

export interface CommandSynthesizerOptions {
  /** argv of the program, placeholders as above; required, at least the program name. */
  command: string[];
  /** How long one run may take before it is killed (SpeechError TIMEOUT). Default 10,000 ms. */
  timeoutMs?: number;
  /** Programs running at once; further requests wait their turn. Default 2. */
  maxConcurrent?: number;
  /** Cache settings, or an AudioCache shared with others. Default: 32 MiB in memory, no disk. */
  cache?: AudioCacheOptions | AudioCache;
  /** `{voice}` when the request names neither voice nor language. Default 'en-us'. */
  defaultVoice?: string;
  /** Longest text accepted (characters). Default 5000. */
  maxChars?: number;
  /** Largest stdout accepted, bytes (a runaway program must not exhaust memory). Default 64 MiB. */
  maxOutputBytes?: number;
}

const PLACEHOLDER = /\{(text|voice|language|rate|wpm)\}/g;

export class CommandSynthesizer implements Synthesizer {
  readonly command: string[];
  readonly timeoutMs: number;
  readonly maxConcurrent: number;
  readonly cache: AudioCache;
  readonly defaultVoice: string;
  readonly maxChars: number;
  readonly maxOutputBytes: number;
  /** Program runs (cache misses) since construction — for metrics and tests. */
  synthesisCount = 0;
  private running = 0;
  private readonly queue: (() => void)[] = [];
  private readonly inflight = new Map<string, Promise<SynthesisResult>>();
  private readonly children = new Set<{ kill: () => void }>();
  private closed = false;

  constructor(opts: CommandSynthesizerOptions) {
    if (!Array.isArray(opts.command) || opts.command.length === 0 || !opts.command[0]) {
      throw new SpeechError('BAD_REQUEST', 'command synthesizer needs a program (command: [program, ...args])');
    }
    this.command = [...opts.command];
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxConcurrent = Math.max(1, opts.maxConcurrent ?? 2);
    this.cache = opts.cache instanceof AudioCache ? opts.cache : new AudioCache(opts.cache);
    this.defaultVoice = opts.defaultVoice ?? 'en-us';
    this.maxChars = opts.maxChars ?? 5000;
    this.maxOutputBytes = opts.maxOutputBytes ?? 64 * 1024 * 1024;
  }

  async synthesize(req: SynthesisRequest): Promise<SynthesisResult> {
    if (this.closed) throw new SpeechError('CLOSED', 'synthesizer is closed');
    const { rate } = checkSynthesisRequest(req, this.maxChars);
    // SSML is reduced to its spoken text (see the top comment); parsing still rejects malformed SSML.
    const text = req.ssml !== undefined
      ? ssmlToSegments(req.ssml, rate).map((s) => (s.kind === 'text' ? s.text : '')).join(' ').replace(/\s+/g, ' ').trim()
      : req.text!;
    if (!text.trim()) throw new SpeechError('BAD_REQUEST', 'nothing to speak');
    const values: Record<string, string> = {
      text, voice: voiceFor(req, this.defaultVoice), language: req.language ?? 'en-US', rate: String(rate), wpm: String(Math.round(175 * rate)),
    };
    const argv = this.command.map((a) => a.replace(PLACEHOLDER, (_m, k: string) => values[k]!));
    const key = JSON.stringify(['command', argv]);
    const hit = await this.cache.get(key);
    if (hit) return { rate: hit.rate, samples: hit.samples, cached: true };
    const same = this.inflight.get(key);
    if (same) return same;
    const p = this.run(key, argv).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /** Kills running programs (their requests reject with CLOSED) and refuses new requests. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.children) c.kill();
    for (const next of this.queue.splice(0)) next();
  }

  private async run(key: string, argv: string[]): Promise<SynthesisResult> {
    await this.slot();
    try {
      if (this.closed) throw new SpeechError('CLOSED', 'synthesizer closed');
      const wav = await this.exec(argv);
      let audio: { rate: number; samples: Int16Array };
      try {
        audio = decodePcmWav(wav);
      } catch (err) {
        throw new SpeechError('SYNTHESIS_FAILED', `${argv[0]} did not write a PCM WAV to stdout: ${(err as Error).message}`);
      }
      this.synthesisCount++;
      await this.cache.set(key, audio);
      return { ...audio, cached: false };
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }

  /** Waits for a free slot of maxConcurrent; the slot is released in run()'s finally. */
  private slot(): Promise<void> {
    if (this.running < this.maxConcurrent) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(() => { this.running++; resolve(); }));
  }

  private exec(argv: string[]): Promise<Buffer> {
    const [program, ...args] = argv as [string, ...string[]];
    return new Promise<Buffer>((resolve, reject) => {
      // Its own process group (detached), killed as a whole: a `sh -c` wrapper's children would
      // otherwise keep stdout open after the shell dies, and the timeout would not bound the run.
      const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const out: Buffer[] = [];
      let outBytes = 0;
      let stderr = '';
      let failure: SpeechError | undefined;
      const stop = (err: SpeechError): void => {
        failure ??= err;
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL'); // the group is gone already; the process may not be
        }
      };
      const handle = { kill: () => stop(new SpeechError('CLOSED', 'synthesizer closed')) };
      this.children.add(handle);
      const timer = setTimeout(() => stop(new SpeechError('TIMEOUT', `${program} did not finish within ${this.timeoutMs} ms`)), this.timeoutMs);
      child.stdout.on('data', (d: Buffer) => {
        outBytes += d.length;
        if (outBytes > this.maxOutputBytes) stop(new SpeechError('SYNTHESIS_FAILED', `${program} wrote more than ${this.maxOutputBytes} bytes`));
        else out.push(d);
      });
      child.stderr.on('data', (d: Buffer) => {
        if (stderr.length < 1024) stderr += d.toString();
      });
      child.on('error', (err: NodeJS.ErrnoException) => {
        failure ??= new SpeechError('SYNTHESIS_FAILED', err.code === 'ENOENT' ? `TTS program ${program} not found` : `cannot run ${program}: ${err.message}`);
      });
      // 'close' follows 'error' too (spawn failures included), after stdio is drained.
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.children.delete(handle);
        if (failure) return reject(failure);
        if (code !== 0) {
          const why = signal ? `was killed by ${signal}` : `exited with ${code}`;
          return reject(new SpeechError('SYNTHESIS_FAILED', `${program} ${why}${stderr.trim() ? `: ${stderr.trim().slice(0, 300)}` : ''}`));
        }
        resolve(Buffer.concat(out));
      });
    });
  }
}

/**
 * A PCM WAV (Microsoft RIFF: "RIFF" size "WAVE" { id:4 size:u32le body pad }*) → mono Int16 at
 * its own rate. Streaming writers (espeak-ng --stdout) leave a bogus size in RIFF and `data`
 * (0x7ffff000): the data chunk is then taken up to the end of the output.
 */
export function decodePcmWav(buf: Uint8Array): { rate: number; samples: Int16Array } {
  const tag = (at: number): string => String.fromCharCode(buf[at]!, buf[at + 1]!, buf[at + 2]!, buf[at + 3]!);
  if (buf.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error(`no RIFF/WAVE header (${buf.length} bytes of output)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  let pos = 12;
  while (pos + 8 <= buf.length) {
    const id = tag(pos);
    const size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) throw new Error('truncated fmt chunk');
      let format = view.getUint16(body, true);
      // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the classic tag (offset 24).
      if (format === 0xfffe && size >= 40 && body + 26 <= buf.length) format = view.getUint16(body + 24, true);
      fmt = { format, channels: view.getUint16(body + 2, true), rate: view.getUint32(body + 4, true), bits: view.getUint16(body + 14, true) };
      if (fmt.format !== 1 || (fmt.bits !== 16 && fmt.bits !== 8)) throw new Error(`format 0x${fmt.format.toString(16)} with ${fmt.bits} bits is not 8/16-bit PCM`);
      if (fmt.channels < 1 || fmt.channels > 8 || fmt.rate < 1000 || fmt.rate > 192000) throw new Error(`${fmt.channels} channels at ${fmt.rate} Hz`);
    } else if (id === 'data') {
      if (!fmt) throw new Error('data chunk before fmt chunk');
      const len = Math.min(size, buf.length - body);
      const bytesPer = fmt.bits / 8;
      const frames = Math.floor(len / (bytesPer * fmt.channels));
      if (frames === 0) throw new Error('no audio samples');
      const samples = new Int16Array(frames);
      for (let i = 0; i < frames; i++) {
        let sum = 0;
        for (let c = 0; c < fmt.channels; c++) {
          const at = body + (i * fmt.channels + c) * bytesPer;
          sum += bytesPer === 2 ? view.getInt16(at, true) : (buf[at]! - 128) << 8;
        }
        samples[i] = Math.round(sum / fmt.channels);
      }
      return { rate: fmt.rate, samples };
    }
    pos = body + size + (size & 1);
  }
  throw new Error(fmt ? 'no data chunk' : 'no fmt chunk');
}
