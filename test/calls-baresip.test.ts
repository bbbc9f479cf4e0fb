// Audio through the core, checked as audio: baresip (a real UA with its own RTP stack) calls a
// number the config file gives an application; the test answers through CallService.execute,
// plays a 1 kHz tone, and baresip's recording of what it heard has 1 kHz in it. Then the test
// hangs up and the CDR says the application (local) ended it with BYE.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baresipAvailable, freeBaresipPort, runBaresip } from './helpers/baresip.ts';
import { readWav } from './helpers/wav.ts';
import { loadConfig, SwitchboardServer } from '../src/server/index.ts';
import type { SipService } from '../src/server/sip-service.ts';
import { nullLogger } from '../src/lib/index.ts';
import { goertzelCoefficient, goertzelPower } from '../src/media/index.ts';
import { applicationPrincipal, type Call } from '../src/core/index.ts';

const NUMBER = '+4930777888';


/** The loudest second of `x` (the tone, not the silence around it). */
function loudestSecond(x: Float64Array, rate: number): Float64Array {
  let best = 0;
  let bestE = -1;
  for (let s = 0; s + rate <= x.length; s += rate / 4) {
    let e = 0;
    for (let i = s; i < s + rate; i++) e += x[i] * x[i];
    if (e > bestE) { bestE = e; best = s; }
  }
  return x.subarray(best, Math.min(x.length, best + rate));
}

function dominantHz(x: Float64Array, rate: number): number {
  let best = 0;
  let bestP = -1;
  for (let f = 100; f < rate / 2 - 100; f += 10) {
    const p = goertzelPower(x, 0, x.length, goertzelCoefficient(f, rate));
    if (p > bestP) { bestP = p; best = f; }
  }
  return best;
}

/** 6 s of 8 kHz mono silence for baresip's microphone (its sine source needs 48 kHz). */
function quietWav(): string {
  const n = 8000 * 6;
  const b = Buffer.alloc(44 + n * 2);
  b.write('RIFF', 0); b.writeUInt32LE(36 + n * 2, 4); b.write('WAVE', 8);
  b.write('fmt ', 12); b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22);
  b.writeUInt32LE(8000, 24); b.writeUInt32LE(16000, 28); b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34);
  b.write('data', 36); b.writeUInt32LE(n * 2, 40);
  const path = join(mkdtempSync(join(tmpdir(), 'sb-quiet-')), 'quiet.wav');
  writeFileSync(path, b);
  return path;
}

describe('audio through the core with baresip', { skip: !baresipAvailable() && 'baresip missing', timeout: 60_000 }, () => {
  let server: SwitchboardServer;
  let sip: SipService;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-calls-bs-'));
    writeFileSync(join(dir, 'switchboard.yaml'), `
applications:
  - name: tone-bot
    apiKeys: ["calls-baresip-key-0123456789abcdef"]
    numbers:
      - "${NUMBER}"
`);
    const config = loadConfig({
      SWITCHBOARD_DATA_DIR: join(dir, 'data'), SWITCHBOARD_HTTP_PORT: '0', SWITCHBOARD_SIP_PORT: '0', SWITCHBOARD_SIP_WS_PORT: '0',
      SWITCHBOARD_BIND: '127.0.0.1', SWITCHBOARD_PUBLIC_HOST: '127.0.0.1', SWITCHBOARD_ADMIN_KEY: 'test-admin-key-0123456789',
      SWITCHBOARD_LOG_LEVEL: 'silent', SWITCHBOARD_CONFIG: join(dir, 'switchboard.yaml'),
    }, { cwd: dir });
    server = await SwitchboardServer.start(config, { logger: nullLogger, print: () => {} });
    sip = server.service<SipService>('sip')!;
  });
  after(async () => { await server?.stop('test done'); });

  test('baresip calls the number; answered via CallService, a 1 kHz tone is heard; hangup by the app is in the CDR', { timeout: 30_000 }, async () => {
    const app = (await sip.callsWiring!.store.tenancy.applications.list()).find((a) => a.name === 'tone-bot')!;
    const principal = applicationPrincipal(app.id);
    const incoming = once(sip.calls, 'incoming') as Promise<[Call]>;
    const run = runBaresip({
      port: await freeBaresipPort(),
      account: '<sip:bob@127.0.0.1;transport=udp>;regint=0',
      commands: [`/dial sip:${NUMBER}@127.0.0.1:${sip.ports.udp}`],
      seconds: 8,
      rtpPorts: '38500-38599',
      sourceWav: quietWav(),
    });
    const [call] = await incoming;
    assert.equal((await (await sip.calls.execute(call.id, 'answer', {}, { principal })).done).code, 200);
    const play = await sip.calls.execute(call.id, 'play', { sources: [{ kind: 'tone', frequencies: [1000], durationMs: 2000 }] }, { principal });
    assert.equal((await play.done).code, 200);
    assert.equal((await (await sip.calls.execute(call.id, 'hangup', { forEveryone: true }, { principal })).done).code, 200);
    const r = await run;
    const file = r.recordings.find((p) => /dec\.wav$/.test(p));
    assert.ok(file, `no received-audio recording\n${r.output.slice(-2000)}`);
    const wav = readWav(file);
    const loud = loudestSecond(wav.samples, wav.rate);
    assert.ok(loud.length >= wav.rate / 2, `recording too short: ${wav.samples.length} samples`);
    const hz = dominantHz(loud, wav.rate);
    assert.ok(Math.abs(hz - 1000) <= 20, `dominant ${hz} Hz`);
    for (let i = 0; i < 100 && call.state !== 'ended'; i++) await new Promise((res) => setTimeout(res, 50));
    assert.equal(call.state, 'ended');
    const store = sip.callsWiring!.store;
    let rows = await store.calls.cdrs.list({ callId: call.id });
    for (let i = 0; i < 30 && !rows.some((x) => x.kind === 'call'); i++) {
      await new Promise((res) => setTimeout(res, 100));
      rows = await store.calls.cdrs.list({ callId: call.id });
    }
    const c = rows.find((x) => x.kind === 'call')!.record as Record<string, unknown>;
    assert.equal(c.endedBy, 'local');
    assert.equal(c.sipStatus, 200);
    assert.deepEqual(c.to, { kind: 'phone', number: NUMBER });
  });
});
