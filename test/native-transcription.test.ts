// Live transcription over the native API, end to end. A SIPp caller streams our TTS sentence
// "I would like to pay my bill" (espeak-ng → sox → 8 kHz µ-law, looped with 1.5 s pauses) as
// PCMU to the application's number. The application is a webhook endpoint in this test that
// drives the call only through the native HTTP API, as a developer would:
//   call.incoming → POST /v1/calls/{id}/answer → POST …/transcription {url: ws://…} (202)
// A WebSocket server in the test receives the native framer's first message ({type:'start',
// content:'transcription', locale:'en-US'}), then transcript messages; one of them is final and
// holds what the local engine reliably hears of the sentence ("i would", measured in
// src/speech/asr/pocketsphinx-transcriber.test.ts). …/transcription/update {locale:'en-US'} →
// transcription.updated; {locale:'de-DE'} (no model) → the operation fails 400 and transcription
// goes on. Then POST …/transcription/stop closes the
// socket normally and transcription.stopped {reason:'stopped', results ≥ 1} arrives as a webhook.
// Bad input: a non-WebSocket url → 400 VALIDATION_FAILED (nothing starts); a second start while one
// runs, a stop or an update with nothing running → 409 CALL_INVALID_STATE. The OpenAPI document
// lists the three routes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';
import { startReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';
import { until } from './helpers/until.ts';

const NUMBER = '+4930777555';
const KEY = 'native-scribe-key-0123456789abcdef';
const haveSphinx = spawnSync('which', ['pocketsphinx_continuous']).status === 0 && existsSync('/usr/share/pocketsphinx/model/en-us/en-us.lm.bin');
const haveEspeak = spawnSync('which', ['espeak-ng']).status === 0 && spawnSync('sox', ['--version']).status === 0;

interface Event { id: string; type: string; callId?: string; data: Record<string, unknown> }

describe('native API: live transcription of a SIPp caller to the app\'s WebSocket', {
  skip: !sippAvailable() ? 'sipp missing' : !haveSphinx || !haveEspeak ? 'pocketsphinx, espeak-ng or sox missing' : false,
  timeout: 60_000,
}, () => {
  let node: TestNode;
  let hooks: WebhookReceiver;
  let work: string;
  let wss: WebSocketServer;
  let wsUrl: string;
  const frames: Record<string, unknown>[] = [];
  /** Date.now() when frames[i] arrived: a result cannot describe audio not yet sent. */
  const arrivedAt: number[] = [];
  const closes: number[] = [];
  const events = (): Event[] => hooks.received.map((q) => JSON.parse(q.body) as Event);
  const event = (type: string, callId?: string, ms = 15_000): Promise<Event> =>
    until(() => events().find((e) => e.type === type && (callId === undefined || e.callId === callId)), `webhook ${type}; got ${events().map((e) => e.type).join(', ')}`, ms);
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${node.http}${path}`, {
      method, headers: { authorization: `Bearer ${KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  /** GET /v1/operations/{id} until it is no longer running (≤ 5 s). */
  const settled = async (opId: string): Promise<any> => {
    for (let i = 0; i < 100; i++) {
      const o = await api('GET', `/v1/operations/${opId}`);
      if (o.json.state !== 'running') return o.json;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`operation ${opId} still running`);
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'sb-native-tr-'));
    const wav = join(work, 'say.wav');
    assert.equal(spawnSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', wav, 'I would like to pay my bill']).status, 0, 'espeak-ng speaks');
    // 8 kHz µ-law with 1.5 s of silence after it, so each loop is its own utterance.
    assert.equal(spawnSync('sox', [wav, '-r', '8000', '-c', '1', '-t', 'ul', join(work, 'tone.ulaw'), 'pad', '0.3', '1.5']).status, 0, 'sox makes µ-law');
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    wss.on('connection', (ws) => {
      ws.on('message', (m) => {
        frames.push(JSON.parse(m.toString()) as Record<string, unknown>);
        arrivedAt.push(Date.now());
      });
      ws.on('close', (code) => closes.push(code));
    });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/transcripts`;
    hooks = await startReceiver();
    node = await startNode({
      yaml: `
applications:
  - name: scribe
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
    await new Promise((r) => wss?.close(r));
  });

  test('OpenAPI lists transcription, transcription/stop and transcription/update', async () => {
    const doc = await (await fetch(`${node.http}/openapi.json`)).json() as { paths: Record<string, { post?: { requestBody?: { content: Record<string, { schema: { required?: string[]; properties: Record<string, unknown> } }> } } }> };
    for (const p of ['transcription', 'transcription/stop', 'transcription/update']) {
      assert.ok(doc.paths[`/v1/calls/{id}/${p}`]?.post, `POST /v1/calls/{id}/${p} in OpenAPI`);
    }
    const start = doc.paths['/v1/calls/{id}/transcription']!.post!.requestBody!.content['application/json']!.schema;
    assert.deepEqual(start.required, ['url']);
    assert.ok('locale' in start.properties && 'format' in start.properties && 'legId' in start.properties);
    const update = doc.paths['/v1/calls/{id}/transcription/update']!.post!.requestBody!.content['application/json']!.schema;
    assert.deepEqual(update.required, ['locale']);
  });

  /**
   * offsetMs/durationMs are stream time since the transcription started (docs/speech.md). Real
   * checks, not `>= 0`: final results come in order (offsets non-decreasing, an utterance never
   * starts before the previous one ended), each word lies inside its utterance in order, and no
   * result describes audio later than the wall time elapsed between the start request and its
   * arrival (SIPp sends in real time; 250 ms covers packetisation and rounding).
   */
  function assertOffsetsTrue(requestedAt: number, when: string): void {
    const finals = frames.map((f, i) => ({ f, at: arrivedAt[i]! })).filter(({ f }) => f.type === 'transcript' && f.final === true);
    assert.ok(finals.length >= 1, `${when}: a final result`);
    let prevOffset = -1;
    let prevEnd = 0;
    for (const { f, at } of finals) {
      const offset = Number(f.offsetMs);
      const end = offset + Number(f.durationMs);
      const where = `${when}: final ${JSON.stringify(f.text)} at ${offset}+${String(f.durationMs)} ms (previous ended ${prevEnd} ms)`;
      assert.ok(Number.isInteger(offset) && offset >= 0 && end >= offset, where);
      assert.ok(offset >= prevOffset && offset >= prevEnd, `${where}: out of order or overlapping`);
      assert.ok(end <= at - requestedAt + 250, `${where}: past the ${at - requestedAt} ms of audio sent since the start request`);
      let wordEnd = offset;
      for (const w of (f.words ?? []) as { text: string; offsetMs: number; durationMs: number }[]) {
        assert.ok(w.offsetMs >= wordEnd && w.offsetMs + w.durationMs <= end, `${where}: word ${w.text} at ${w.offsetMs}+${w.durationMs} ms`);
        wordEnd = w.offsetMs + w.durationMs;
      }
      prevOffset = offset;
      prevEnd = end;
    }
  }

  test('answer → transcription to ws:// → start message then a final "i would …"; stop → closed 1000 and transcription.stopped; bad input refused', { timeout: 50_000 }, async () => {
    const sipp = runSipp({
      scenario: 'acs-uac-tone-wait-bye.xml', target: node.sip, service: NUMBER, args: ['-mp', String(await freeUdpPort())],
      cwdFiles: { 'tone.ulaw': join(work, 'tone.ulaw') }, timeoutMs: 45_000,
    });
    const incoming = await event('call.incoming').catch(async (e: Error) => { throw new Error(`${e.message}\n${explain(await sipp)}`); });
    const callId = incoming.callId!;
    assert.equal((await api('POST', `/v1/calls/${callId}/answer`)).status, 202);
    await event('call.answered', callId);

    // Nothing runs yet: stop and update are refused as the call's state.
    const early = await api('POST', `/v1/calls/${callId}/transcription/stop`);
    assert.equal(early.status, 409, JSON.stringify(early.json));
    assert.equal(early.json.error.code, 'CALL_INVALID_STATE');
    assert.equal((await api('POST', `/v1/calls/${callId}/transcription/update`, { locale: 'en-US' })).status, 409);
    // Not a WebSocket URL: a catalogued validation error naming the field, and nothing starts.
    const bad = await api('POST', `/v1/calls/${callId}/transcription`, { url: 'http://127.0.0.1:9/nope' });
    assert.equal(bad.status, 400, JSON.stringify(bad.json));
    assert.equal(bad.json.error.code, 'VALIDATION_FAILED');
    assert.match(JSON.stringify(bad.json.error.details), /url/);
    const badLocale = await api('POST', `/v1/calls/${callId}/transcription`, { url: wsUrl, locale: 'not a locale' });
    assert.equal(badLocale.status, 400);
    assert.equal(badLocale.json.error.code, 'VALIDATION_FAILED');

    const requestedAt = Date.now(); // offsets count from the transcription's start, which is later
    const started = await api('POST', `/v1/calls/${callId}/transcription`, { url: wsUrl, operationContext: 'scribe-1' });
    assert.equal(started.status, 202, JSON.stringify(started.json));
    assert.equal(started.json.name, 'startTranscription');
    const ev = await event('transcription.started', callId);
    assert.equal(ev.data.locale, 'en-US');
    assert.equal(ev.data.operationContext, 'scribe-1');
    assert.equal(typeof ev.data.transcriptionId, 'string');
    const again = await api('POST', `/v1/calls/${callId}/transcription`, { url: wsUrl });
    assert.equal(again.status, 409, 'one transcription per call');

    // The first message is the native framer's start; then transcripts. Wait for a final one
    // holding the reliable words (the sentence loops every ~3.5 s).
    const final = await until(() => frames.find((f) => f.type === 'transcript' && f.final === true && /\bi would\b/.test(String(f.text))), `a final transcript with "i would"; got ${JSON.stringify(frames.slice(0, 6))}`, 25_000);
    console.log(`  final: ${JSON.stringify(final.text)} confidence ${String(final.confidence)} offset ${String(final.offsetMs)} ms duration ${String(final.durationMs)} ms`);
    const first = frames[0]!;
    assert.equal(first.type, 'start');
    assert.equal(first.callId, callId);
    assert.equal(first.content, 'transcription');
    assert.equal(first.locale, 'en-US');
    assert.ok(frames.slice(1).every((f) => f.type === 'transcript'), 'only transcripts after the start message');
    assert.ok(Number(final.durationMs) > 500, 'over 0.5 s of speech');
    assertOffsetsTrue(requestedAt, 'before update');
    assert.ok(Array.isArray(final.words) && (final.words as unknown[]).length >= 2, 'per-word results');
    assert.equal((final.participant as { kind?: string } | undefined)?.kind, 'phone', 'the caller is the speaker');

    // updateTranscription: the same locale restarts the engine (transcription.updated); one the
    // local engine does not have fails the operation with 400 and keeps the running transcription.
    const upd = await api('POST', `/v1/calls/${callId}/transcription/update`, { locale: 'en-US' });
    assert.equal(upd.status, 202, JSON.stringify(upd.json));
    assert.equal(upd.json.name, 'updateTranscription');
    assert.equal((await event('transcription.updated', callId)).data.locale, 'en-US');
    const refused = await api('POST', `/v1/calls/${callId}/transcription/update`, { locale: 'de-DE' });
    assert.equal(refused.status, 202);
    const op = await settled(refused.json.id as string);
    assert.equal(op.state, 'failed', JSON.stringify(op));
    assert.equal(op.result.code, 400);

    // After the restart, the next "i would" sentence: SIPp loops the file, so in stream time
    // sentence onsets are a whole number of loops apart. An engine restarted from offset 0 (the
    // base lost) would put it ~2.6 s (the stream time before the update) off that grid.
    const loopMs = statSync(join(work, 'tone.ulaw')).size / 8; // 8 kHz µ-law: 8 bytes a ms
    const next = await until(() => frames.find((f) => f !== final && f.type === 'transcript' && f.final === true
      && /\bi would\b/.test(String(f.text)) && Number(f.offsetMs) > Number(final.offsetMs)), 'a second final "i would" after the update', 15_000);
    const loops = (Number(next.offsetMs) - Number(final.offsetMs)) / loopMs;
    console.log(`  next: ${JSON.stringify(next.text)} offset ${String(next.offsetMs)} ms = ${loops.toFixed(3)} loops of ${loopMs} ms after the first`);
    assert.ok(Math.round(loops) >= 1 && Math.abs(loops - Math.round(loops)) * loopMs < 300,
      `onsets ${String(final.offsetMs)} and ${String(next.offsetMs)} ms are not a whole number of ${loopMs} ms loops apart`);

    const stop = await api('POST', `/v1/calls/${callId}/transcription/stop`, {});
    assert.equal(stop.status, 202, JSON.stringify(stop.json));
    assert.equal(stop.json.name, 'stopTranscription');
    const stopped = await event('transcription.stopped', callId);
    assert.equal(stopped.data.reason, 'stopped');
    assert.ok(Number(stopped.data.results) >= 1, `results ${String(stopped.data.results)}`);
    await until(() => (closes.length > 0 ? true : undefined), 'the socket closing', 5000);
    // The update restarted the engine; its results must go on counting from the transcription's
    // start (transcription-session.ts baseMs), not from 0 again.
    assertOffsetsTrue(requestedAt, 'across the locale update');
    assert.deepEqual(closes, [1000], 'stop closes the socket normally, once');
    assert.equal(events().filter((e) => e.type === 'transcription.stopped' && e.callId === callId).length, 1, 'one stopped event');

    assert.equal((await api('POST', `/v1/calls/${callId}/hangup`, {})).status, 202);
    const r = await sipp;
    assert.equal(r.code, 0, explain(r));
    await event('call.ended', callId);
    assert.ok(!events().some((e) => e.type === 'transcription.failed'), 'no failure');
  });
});
