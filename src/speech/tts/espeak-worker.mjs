// Worker thread hosting eSpeak NG compiled to WebAssembly (@echogarden/espeak-ng-emscripten), so
// synthesis (tens to hundreds of ms of CPU per prompt) never blocks the main thread's event loop.
// Plain JavaScript on purpose: a worker does not inherit the tsx loader that `bin/switchboard.mjs`
// registers through its API, and this file must load the same way under tests, benches and the CLI.
// The message protocol is typed on the main side in espeak-protocol.ts; keep both in step.
//
// Requests are handled strictly one at a time (the WASM module is single-threaded and keeps the
// current voice/rate as global state), in arrival order.
import { parentPort } from 'node:worker_threads';
import initEspeak from '@echogarden/espeak-ng-emscripten';

/** espeak-ng's output rate for every voice (espeak_ng_InitializeOutput with 22050 Hz). */
const RATE = 22050;

const espeakModule = await initEspeak();
const engine = new espeakModule.eSpeakNGWorker();
let currentVoice = '';

function escapeXml(text) {
  // The Echogarden build always synthesizes in SSML mode, so plain text must be escaped.
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function synthesize(req) {
  if (req.voice !== currentVoice) {
    const rc = engine.set_voice(req.voice);
    if (rc !== 0) throw Object.assign(new Error(`unknown espeak-ng voice '${req.voice}'`), { code: 'UNKNOWN_VOICE' });
    currentVoice = req.voice;
  }
  const chunks = [];
  let total = 0;
  for (const seg of req.segments) {
    if (seg.kind === 'break') {
      const n = Math.round((seg.ms * RATE) / 1000);
      chunks.push(new Int16Array(n));
      total += n;
      continue;
    }
    if (!seg.text.trim()) continue;
    engine.set_rate(Math.max(80, Math.min(450, Math.round(seg.wpm))));
    engine.synthesize(escapeXml(seg.text), (samples) => {
      if (samples && samples.length > 0) {
        chunks.push(samples);
        total += samples.length;
      }
      return false; // false = continue synthesis
    });
  }
  const out = new Int16Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

parentPort.on('message', (msg) => {
  try {
    if (msg.op === 'voices') {
      const voices = engine.list_voices().map((v) => ({ id: v.identifier, name: v.name, languages: v.languages.map((l) => l.name) }));
      parentPort.postMessage({ id: msg.id, ok: true, voices });
      return;
    }
    const t0 = performance.now();
    const samples = synthesize(msg);
    parentPort.postMessage({ id: msg.id, ok: true, rate: RATE, samples, cpuMs: performance.now() - t0 }, [samples.buffer]);
  } catch (err) {
    parentPort.postMessage({ id: msg.id, ok: false, code: err.code ?? 'SYNTHESIS_FAILED', error: String(err.message ?? err) });
  }
});
parentPort.postMessage({ ready: true });
