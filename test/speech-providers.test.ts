// Speech providers selected by configuration, end to end on a whole node with a SIPp caller:
//   speech.tts: {provider: command, command: [sh wrapper around the real espeak-ng CLI]}
//   speech.transcription: {provider: websocket, url: ws://<Vosk-protocol double>}
// The application drives the call over the native HTTP API (webhooks to a receiver here).
//  - play {tts "hello from the command engine"} runs the configured program (its log shows the
//    text and voice), play.completed; a text the program refuses → play.failed naming the program,
//    its exit code and stderr.
//  - transcription to the app's WebSocket: the node opens a session to the double (config
//    {sample_rate: 16000}, then PCM from the caller); the double's partial and final reach the app
//    as transcript messages (final:false then final:true with word times). Stopped normally: eof.
//  - a second transcription: the double closes (1011) after the first audio → transcription.failed
//    whose error names the early close; a third with the double gone → transcription.failed
//    naming the refused connection.
// The double follows the Vosk server protocol as documented; no real Vosk server is used here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';
import { startReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';
import { until } from './helpers/until.ts';

const NUMBER = '+4930777666';
const KEY = 'speech-providers-key-0123456789ab';
const haveTools = spawnSync('which', ['espeak-ng']).status === 0 && spawnSync('sox', ['--version']).status === 0;

interface Event { id: string; type: string; callId?: string; data: Record<string, unknown> }

describe('speech providers from configuration: command TTS and websocket transcription on a node with a SIPp caller', {
  skip: !sippAvailable() ? 'sipp missing' : !haveTools ? 'espeak-ng or sox missing' : false,
  timeout: 60_000,
}, () => {
  let node: TestNode;
  let hooks: WebhookReceiver;
  let work: string;
  let ttsLog: string;
  let app: WebSocketServer;
  let appUrl: string;
  let vosk: WebSocketServer;
  const frames: Record<string, unknown>[] = [];
  /** What the double saw per connection. */
  const sessions: { config?: { sample_rate: number }; bytes: number; eof: boolean }[] = [];
  const events = (): Event[] => hooks.received.map((q) => JSON.parse(q.body) as Event);
  const event = (type: string, callId?: string, ms = 15_000, nth = 0): Promise<Event> =>
    until(() => events().filter((e) => e.type === type && (callId === undefined || e.callId === callId))[nth], `webhook ${type}; got ${events().map((e) => e.type).join(', ')}`, ms);
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${node.http}${path}`, {
      method, headers: { authorization: `Bearer ${KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'sb-speech-prov-'));
    assert.equal(spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-t', 'ul', join(work, 'tone.ulaw'), 'synth', '2', 'sine', '440']).status, 0, 'sox makes µ-law');
    ttsLog = join(work, 'tts.log');
    writeFileSync(ttsLog, '');
    // The application's transcript socket.
    app = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    app.on('connection', (ws) => ws.on('message', (m) => frames.push(JSON.parse(m.toString()) as Record<string, unknown>)));
    await new Promise<void>((r) => app.once('listening', () => r()));
    appUrl = `ws://127.0.0.1:${(app.address() as AddressInfo).port}/transcripts`;
    // The Vosk-protocol double: connection 1 hears "pay my bill" (partial after 0.5 s of audio,
    // final after 1 s); connection 2 closes with 1011 at its first audio chunk.
    vosk = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    vosk.on('connection', (ws) => {
      const s: (typeof sessions)[number] = { bytes: 0, eof: false };
      const nth = sessions.push(s);
      let finalSent = false;
      ws.on('message', (data, isBinary) => {
        if (!isBinary) {
          const m = JSON.parse(data.toString()) as { config?: { sample_rate: number }; eof?: number };
          if (m.config) s.config = m.config;
          if (m.eof) {
            s.eof = true;
            ws.send(JSON.stringify({ text: '' }));
            ws.close(1000);
          }
          return;
        }
        if (nth === 2) return ws.close(1011, 'model crashed');
        s.bytes += (data as Buffer).length;
        const seconds = s.bytes / 2 / (s.config?.sample_rate ?? 8000);
        if (!finalSent && seconds >= 1) {
          finalSent = true;
          ws.send(JSON.stringify({ result: [
            { word: 'pay', start: 0.2, end: 0.4, conf: 1 }, { word: 'my', start: 0.4, end: 0.5, conf: 0.8 }, { word: 'bill', start: 0.5, end: 0.9, conf: 0.9 },
          ], text: 'pay my bill' }));
        } else if (!finalSent && seconds >= 0.5) {
          ws.send(JSON.stringify({ partial: 'pay my' }));
        } else {
          ws.send(JSON.stringify({ partial: '' }));
        }
      });
    });
    await new Promise<void>((r) => vosk.once('listening', () => r()));
    hooks = await startReceiver();
    // The TTS program: a shell wrapper that logs its arguments, refuses texts with "explode",
    // and otherwise runs the real espeak-ng CLI writing WAV to stdout.
    const script = `echo "$2|$1" >> '${ttsLog}'; case "$1" in *explode*) echo "engine refused the text" >&2; exit 4;; esac; exec espeak-ng --stdout -v "$2" "$1"`;
    node = await startNode({
      yaml: `
speech:
  tts:
    provider: command
    command: [sh, -c, ${JSON.stringify(script)}, tts, "{text}", "{voice}"]
    timeoutMs: 5000
  transcription:
    provider: websocket
    url: "ws://127.0.0.1:${(vosk.address() as AddressInfo).port}/asr"
    connectTimeoutMs: 2000
applications:
  - name: speaker
    apiKeys: ["${KEY}"]
    callbackUrl: "${hooks.url}"
    numbers:
      - "${NUMBER}"
`,
    });
  });
  after(async () => {
    await node?.stop();
    await hooks?.close();
    await new Promise((r) => app?.close(r));
    await new Promise((r) => vosk?.close(r));
  });

  test('TTS through the configured program; transcription through the configured server; failures named', { timeout: 50_000 }, async () => {
    const sipp = runSipp({
      scenario: 'acs-uac-tone-wait-bye.xml', target: node.sip, service: NUMBER, args: ['-mp', String(await freeUdpPort())],
      cwdFiles: { 'tone.ulaw': join(work, 'tone.ulaw') }, timeoutMs: 45_000,
    });
    const incoming = await event('call.incoming').catch(async (e: Error) => { throw new Error(`${e.message}\n${explain(await sipp)}`); });
    const callId = incoming.callId!;
    assert.equal((await api('POST', `/v1/calls/${callId}/answer`)).status, 202);
    await event('call.answered', callId);

    // TTS: the configured program speaks (its log proves it ran, with the language's voice).
    const play = await api('POST', `/v1/calls/${callId}/play`, { sources: [{ kind: 'tts', text: 'hello from the command engine', language: 'en-US' }] });
    assert.equal(play.status, 202, JSON.stringify(play.json));
    await event('play.completed', callId);
    assert.match(readFileSync(ttsLog, 'utf8'), /^en-us\|hello from the command engine$/m);
    // A text the program refuses: play.failed with the program's own reason.
    assert.equal((await api('POST', `/v1/calls/${callId}/play`, { sources: [{ kind: 'tts', text: 'please explode' }] })).status, 202);
    const failed = await event('play.failed', callId);
    assert.match(JSON.stringify(failed.data), /sh exited with 4: engine refused the text/);

    // Transcription through the double.
    const started = await api('POST', `/v1/calls/${callId}/transcription`, { url: appUrl });
    assert.equal(started.status, 202, JSON.stringify(started.json));
    await event('transcription.started', callId);
    const final = await until(() => frames.find((f) => f.type === 'transcript' && f.final === true), `a final transcript; got ${JSON.stringify(frames.slice(0, 4))}`, 10_000);
    assert.equal(final.text, 'pay my bill');
    assert.equal(final.confidence, 0.9);
    assert.deepEqual(final.words, [
      { text: 'pay', offsetMs: 200, durationMs: 200 }, { text: 'my', offsetMs: 400, durationMs: 100 }, { text: 'bill', offsetMs: 500, durationMs: 400 },
    ]);
    const partial = frames.find((f) => f.type === 'transcript' && f.final === false);
    assert.equal(partial?.text, 'pay my', 'the partial came through as an intermediate result');
    assert.ok(frames.indexOf(partial!) < frames.indexOf(final), 'partial before final');
    assert.equal(sessions[0]!.config?.sample_rate, 16000, 'the session announced the tap rate');
    assert.ok(sessions[0]!.bytes >= 32000, 'at least 1 s of caller audio reached the server');
    assert.equal((await api('POST', `/v1/calls/${callId}/transcription/stop`, {})).status, 202);
    assert.equal((await event('transcription.stopped', callId)).data.reason, 'stopped');
    await until(() => (sessions[0]!.eof ? true : undefined), 'eof sent to the server on stop', 5000);

    // Second session: the server closes early → transcription.failed naming it.
    assert.equal((await api('POST', `/v1/calls/${callId}/transcription`, { url: appUrl })).status, 202);
    const early = await event('transcription.failed', callId);
    assert.equal(early.data.reason, 'error');
    assert.match(String(early.data.error), /transcriber: transcription server ws:\/\/127\.0\.0\.1:\d+\/asr closed the connection before the end of the audio \(code 1011\)/);

    // Third: the server is gone → transcription.failed naming the refused connection.
    await new Promise((r) => vosk.close(r));
    assert.equal((await api('POST', `/v1/calls/${callId}/transcription`, { url: appUrl })).status, 202);
    const refused = await event('transcription.failed', callId, 10_000, 1);
    assert.match(String(refused.data.error), /cannot connect to transcription server ws:\/\/127\.0\.0\.1:\d+\/asr: ECONNREFUSED/);

    assert.equal((await api('POST', `/v1/calls/${callId}/hangup`, {})).status, 202);
    const r = await sipp;
    assert.equal(r.code, 0, explain(r));
    await event('call.ended', callId);
  });
});
