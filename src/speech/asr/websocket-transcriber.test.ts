// WebsocketTranscriber against a Vosk-protocol double (no real Vosk server can be installed here):
// the double follows alphacep/vosk-server's websocket protocol as documented — config first,
// binary PCM, {"partial"} / {"text","result"} replies, {"eof":1} → last result and close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { SpeechError } from '../types.ts';
import { WebsocketTranscriber, type WebsocketSession } from './websocket-transcriber.ts';
import type { TranscriberResult } from './pocketsphinx-transcriber.ts';

interface DoubleLog { config?: { sample_rate: number }; bytes: number; eof: boolean; beforeConfig: boolean }

/**
 * The double "hears" one word per 0.5 s of audio: while an utterance grows it answers each chunk
 * with {"partial"}; at each full second it answers with a final for the words so far.
 * mode 'close-early' closes (1011) after the first audio chunk.
 */
async function voskDouble(mode: 'normal' | 'close-early' = 'normal'): Promise<{ url: string; logs: DoubleLog[]; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const logs: DoubleLog[] = [];
  const WORDS = ['one', 'two', 'three', 'four', 'five', 'six'];
  wss.on('connection', (ws) => {
    const log: DoubleLog = { bytes: 0, eof: false, beforeConfig: false };
    logs.push(log);
    let said = 0; // words already sent in finals
    const finalFor = (upTo: number) => {
      const words = WORDS.slice(said, upTo).map((w, i) => ({ word: w, start: (said + i) * 0.5, end: (said + i) * 0.5 + 0.4, conf: 0.9 }));
      said = upTo;
      return JSON.stringify({ result: words, text: words.map((w) => w.word).join(' ') });
    };
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        const m = JSON.parse(data.toString()) as { config?: { sample_rate: number }; eof?: number };
        if (m.config) log.config = m.config;
        if (m.eof) {
          log.eof = true;
          const rate = log.config?.sample_rate ?? 8000;
          const heard = Math.min(WORDS.length, Math.floor(log.bytes / 2 / (rate / 2)));
          ws.send(heard > said ? finalFor(heard) : JSON.stringify({ text: '' }));
          ws.close(1000);
        }
        return;
      }
      if (!log.config) log.beforeConfig = true;
      if (mode === 'close-early') return ws.close(1011, 'model crashed');
      log.bytes += (data as Buffer).length;
      const rate = log.config?.sample_rate ?? 8000;
      const heard = Math.min(WORDS.length, Math.floor(log.bytes / 2 / (rate / 2)));
      if (heard >= said + 2) ws.send(finalFor(said + 2));
      else ws.send(JSON.stringify({ partial: WORDS.slice(said, heard).join(' ') }));
    });
  });
  const { port } = wss.address() as AddressInfo;
  return { url: `ws://127.0.0.1:${port}`, logs, close: () => new Promise((r) => wss.close(() => r())) };
}

function collect(s: WebsocketSession): { results: TranscriberResult[]; errors: Error[] } {
  const out = { results: [] as TranscriberResult[], errors: [] as Error[] };
  s.on('result', (r) => out.results.push(r));
  s.on('error', (e) => out.errors.push(e));
  return out;
}

test('config first, audio written while connecting is not lost, partials then finals with word times, eof flushes the last', async () => {
  const srv = await voskDouble();
  try {
    const t = new WebsocketTranscriber({ url: srv.url });
    const s = t.startSession({ rate: 8000 });
    const got = collect(s);
    assert.equal(s.state, 'connecting');
    // 2.5 s of audio in 100 ms chunks, all written before the socket opens.
    for (let i = 0; i < 25; i++) s.write(new Int16Array(800).fill(i));
    await s.end();
    assert.equal(s.state, 'closed');
    assert.deepEqual(got.errors, []);
    const log = srv.logs[0]!;
    assert.deepEqual(log.config, { sample_rate: 8000 });
    assert.equal(log.beforeConfig, false);
    assert.equal(log.bytes, 25 * 800 * 2, 'every sample written reached the server');
    assert.equal(log.eof, true);
    const finals = got.results.filter((r) => r.final);
    assert.deepEqual(finals.map((f) => f.text), ['one two', 'three four', 'five']);
    assert.deepEqual(finals[1], {
      text: 'three four', final: true, offsetMs: 1000, durationMs: 900, confidence: 0.9,
      words: [{ text: 'three', offsetMs: 1000, durationMs: 400 }, { text: 'four', offsetMs: 1500, durationMs: 400 }],
    });
    const partials = got.results.filter((r) => !r.final);
    assert.ok(partials.some((p) => p.text === 'one'), 'a partial came before the first final');
    assert.ok(partials.some((p) => p.text === 'three' && p.offsetMs === 900), 'a partial starts where the last final ended');
    // Repeated identical partials are not re-emitted.
    const texts = partials.map((p) => p.text);
    assert.ok(texts.every((x, i) => i === 0 || x !== texts[i - 1]));
  } finally {
    await srv.close();
  }
});

test('transcribeUtterance: the finals joined, mean confidence; 16 kHz is announced as such', async () => {
  const srv = await voskDouble();
  try {
    const t = new WebsocketTranscriber({ url: srv.url });
    const r = await t.transcribeUtterance({ rate: 16000, samples: new Int16Array(16000 * 1.5).fill(7) });
    assert.deepEqual(r, { text: 'one two three', confidence: 0.9 });
    assert.deepEqual(srv.logs[0]!.config, { sample_rate: 16000 });
  } finally {
    await srv.close();
  }
});

test('the server closing before the end of the audio is an error naming it, then closed', async () => {
  const srv = await voskDouble('close-early');
  try {
    const s = new WebsocketTranscriber({ url: srv.url }).startSession({ rate: 8000 });
    const got = collect(s);
    const closed = new Promise<void>((r) => s.once('closed', () => r()));
    s.write(new Int16Array(800));
    await closed;
    assert.equal(got.errors.length, 1);
    assert.ok(got.errors[0] instanceof SpeechError);
    assert.equal((got.errors[0] as SpeechError).code, 'RECOGNITION_FAILED');
    assert.match(got.errors[0]!.message, /closed the connection before the end of the audio \(code 1011\)/);
    s.write(new Int16Array(800)); // ignored, no throw
    await s.end(); // resolves at once
  } finally {
    await srv.close();
  }
});

test('connection refused: RECOGNIZER_UNAVAILABLE naming the URL; transcribeUtterance rejects with it', async () => {
  // A port that was free a moment ago and nobody listens on.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const t = new WebsocketTranscriber({ url: `ws://127.0.0.1:${port}/asr` });
  const s = t.startSession({ rate: 8000 });
  const got = collect(s);
  s.write(new Int16Array(160));
  await s.end();
  assert.equal(got.errors.length, 1);
  assert.equal((got.errors[0] as SpeechError).code, 'RECOGNIZER_UNAVAILABLE');
  assert.match(got.errors[0]!.message, new RegExp(`cannot connect to transcription server ws://127.0.0.1:${port}/asr: ECONNREFUSED`));
  await assert.rejects(t.transcribeUtterance({ rate: 8000, samples: new Int16Array(160) }), { code: 'RECOGNIZER_UNAVAILABLE' });
});

test('connect timeout: a server that accepts TCP but never answers the handshake fails after connectTimeoutMs', async () => {
  const sockets: import('node:net').Socket[] = [];
  const silent = createServer((sock) => { sockets.push(sock); });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const port = (silent.address() as AddressInfo).port;
    const s = new WebsocketTranscriber({ url: `ws://127.0.0.1:${port}`, connectTimeoutMs: 200 }).startSession({ rate: 8000 });
    const got = collect(s);
    const t0 = Date.now();
    await new Promise<void>((r) => s.once('closed', () => r()));
    assert.ok(Date.now() - t0 < 2000);
    assert.equal((got.errors[0] as SpeechError).code, 'RECOGNIZER_UNAVAILABLE');
    assert.match(got.errors[0]!.message, /timed out/);
  } finally {
    for (const sock of sockets) sock.destroy();
    await new Promise((r) => silent.close(r));
  }
});

test('close() stops at once; a bad URL is refused at construction', async () => {
  const srv = await voskDouble();
  try {
    const s = new WebsocketTranscriber({ url: srv.url }).startSession({ rate: 8000 });
    const got = collect(s);
    await s.close();
    assert.equal(s.state, 'closed');
    s.write(new Int16Array(160));
    await s.end();
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(got.errors, [], 'closing is not a failure');
  } finally {
    await srv.close();
  }
  assert.throws(() => new WebsocketTranscriber({ url: 'http://x' }), { code: 'BAD_REQUEST' });
});
