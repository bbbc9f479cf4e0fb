// Free-form recognize over the native API, end to end with SIPp callers. The application is a
// webhook endpoint in this test that drives calls only through the native HTTP API.
//   1. mode 'speech' without choices: the caller streams our TTS sentence "I would like to pay
//      my bill" as PCMU (espeak-ng → sox → 8 kHz µ-law, 2 s of silence before it so recognize is
//      listening before the first word, 1.5 s after, looped); the app answers and POSTs
//      …/recognize {mode:'speech'} → recognize.completed with `speech` holding what the local
//      engine reliably hears of the sentence ("i would", docs/speech.md) and a confidence.
//   2. mode 'speechOrDtmf' without choices: the caller keys 5 as RFC 4733 telephone-events
//      (SIPp's bundled dtmf_2833_5.pcap, scenario acs-uac-dtmf-5-wait-bye.xml) → recognize.completed
//      with tones ['5'] and no speech.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';
import { startReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';
import { until } from './helpers/until.ts';

const NUMBER = '+4930777666';
const KEY = 'native-listener-key-0123456789abcdef';
const haveSphinx = spawnSync('which', ['pocketsphinx_continuous']).status === 0 && existsSync('/usr/share/pocketsphinx/model/en-us/en-us.lm.bin');
const haveEspeak = spawnSync('which', ['espeak-ng']).status === 0 && spawnSync('sox', ['--version']).status === 0;

interface Event { id: string; type: string; callId?: string; data: Record<string, unknown> }

describe('native API: free-form recognize with SIPp callers', {
  skip: !sippAvailable() ? 'sipp missing' : !haveSphinx || !haveEspeak ? 'pocketsphinx, espeak-ng or sox missing' : false,
  timeout: 60_000,
}, () => {
  let node: TestNode;
  let hooks: WebhookReceiver;
  let work: string;
  const events = (): Event[] => hooks.received.map((q) => JSON.parse(q.body) as Event);
  const event = (type: string, callId?: string, ms = 15_000): Promise<Event> =>
    until(() => events().find((e) => e.type === type && (callId === undefined || e.callId === callId)), `webhook ${type}; got ${events().map((e) => e.type).join(', ')}`, ms);
  /** The first recognize outcome of a call (completed, failed or cancelled). */
  const outcome = (callId: string, ms: number): Promise<Event> =>
    until(() => events().find((e) => e.callId === callId && /^recognize\.(completed|failed|cancelled)$/.test(e.type)), `a recognize outcome; got ${events().map((e) => e.type).join(', ')}`, ms);
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${node.http}${path}`, {
      method, headers: { authorization: `Bearer ${KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  /** A new SIPp caller, answered through the API; resolves with its call id and the SIPp run. */
  const answeredCall = async (scenario: string, files: Record<string, string> = {}) => {
    const seen = new Set(events().filter((e) => e.type === 'call.incoming').map((e) => e.callId));
    const sipp = runSipp({ scenario, target: node.sip, service: NUMBER, args: ['-mp', String(await freeUdpPort())], cwdFiles: files, timeoutMs: 35_000 });
    const incoming = await until(() => events().find((e) => e.type === 'call.incoming' && !seen.has(e.callId)), 'call.incoming', 15_000)
      .catch(async (e: Error) => { throw new Error(`${e.message}\n${explain(await sipp)}`); });
    const callId = incoming.callId!;
    assert.equal((await api('POST', `/v1/calls/${callId}/answer`)).status, 202);
    await event('call.answered', callId);
    return { callId, sipp };
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'sb-native-rec-'));
    const wav = join(work, 'say.wav');
    assert.equal(spawnSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', wav, 'I would like to pay my bill']).status, 0, 'espeak-ng speaks');
    assert.equal(spawnSync('sox', [wav, '-r', '8000', '-c', '1', '-t', 'ul', join(work, 'tone.ulaw'), 'pad', '2.0', '1.5']).status, 0, 'sox makes µ-law');
    hooks = await startReceiver();
    node = await startNode({
      yaml: `
applications:
  - name: listener
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
  });

  test('speech without choices: the caller says the sentence → recognize.completed {speech "i would …", confidence}', { timeout: 40_000 }, async () => {
    const { callId, sipp } = await answeredCall('acs-uac-tone-wait-bye.xml', { 'tone.ulaw': join(work, 'tone.ulaw') });
    try {
      const asked = Date.now();
      const rec = await api('POST', `/v1/calls/${callId}/recognize`, { mode: 'speech', initialSilenceTimeoutMs: 10_000, operationContext: 'say-it' });
      assert.equal(rec.status, 202, JSON.stringify(rec.json));
      assert.equal(rec.json.name, 'recognize');
      const done = await outcome(callId, 20_000);
      console.log(`  ${done.type} after ${Date.now() - asked} ms: ${JSON.stringify(done.data)}`);
      assert.equal(done.type, 'recognize.completed', JSON.stringify(done.data));
      assert.match(String(done.data.speech), /\bi would\b/);
      assert.equal(typeof done.data.confidence, 'number');
      assert.ok(Number(done.data.confidence) > 0 && Number(done.data.confidence) <= 1);
      assert.equal(done.data.operationContext, 'say-it');
      assert.equal(done.data.tones, undefined, 'no tones in a speech result');
      const op = await api('GET', `/v1/operations/${rec.json.id as string}`);
      assert.equal(op.json.state, 'completed');
      assert.equal(op.json.result.code, 200);
    } finally {
      // Hang up even when an assertion failed, so SIPp gets its BYE and the suite stays short.
      assert.equal((await api('POST', `/v1/calls/${callId}/hangup`, {})).status, 202);
    }
    const r = await sipp;
    assert.equal(r.code, 0, explain(r));
  });

  test('speechOrDtmf without choices: the caller keys 5 (RFC 4733) → recognize.completed {tones ["5"]}', { timeout: 40_000 }, async () => {
    const { callId, sipp } = await answeredCall('acs-uac-dtmf-5-wait-bye.xml');
    try {
      const rec = await api('POST', `/v1/calls/${callId}/recognize`, { mode: 'speechOrDtmf', maxTones: 1, initialSilenceTimeoutMs: 10_000 });
      assert.equal(rec.status, 202, JSON.stringify(rec.json));
      const done = await outcome(callId, 15_000);
      console.log(`  ${done.type}: ${JSON.stringify(done.data)}`);
      assert.equal(done.type, 'recognize.completed', JSON.stringify(done.data));
      assert.deepEqual(done.data.tones, ['5']);
      assert.equal(done.data.speech, undefined, 'no speech in a DTMF result');
    } finally {
      assert.equal((await api('POST', `/v1/calls/${callId}/hangup`, {})).status, 202);
    }
    const r = await sipp;
    assert.equal(r.code, 0, explain(r));
  });
});
