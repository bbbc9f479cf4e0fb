// Issue 4, end to end, the baresip variant of test/e2e-webhook-app.test.ts: a small webhook
// application drives a real call from baresip (a UA with its own SIP and RTP stacks) through
// the native HTTP API — nothing in this file touches core.
//
//   baresip ──INVITE──► Switchboard (number → application "ivr-bot")
//   Switchboard ──POST call.incoming (signed)──► the app ──POST /v1/calls/{id}/answer──► …
//
// The app verifies Switchboard-Signature on every POST and reacts:
//   call.incoming → answer; call.answered → play TTS "Press five" + recognize DTMF (1 tone);
//   the test keys 5 on baresip (ctrl_tcp "sndcode", sent as RFC 4733 telephone-events);
//   recognize.completed [5] → play a confirmation; its play.completed → record-response (≤ 3 s)
//   while baresip's microphone plays a 1 kHz tone; record.completed → blind transfer to a SIPp
//   UAS. baresip takes REFER (RFC 3515): it accepts, calls the SIPp UAS itself and reports
//   NOTIFY sipfrag 200, so Switchboard hangs its leg up ('transferred') and the call ends; the
//   agent (SIPp) answers baresip and hangs up 300 ms later; the test then quits baresip.
// Then: signed events in order, the CDR, the recording (has the 1 kHz tone, by Goertzel) and its
// download by token only, another application's key → 404.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baresipAvailable, baresipCommand, freeBaresipPort, freeTcpPort, runBaresip } from './helpers/baresip.ts';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { readWav } from './helpers/wav.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';
import { goertzelCoefficient, goertzelPower } from '../src/media/index.ts';

const haveTools = baresipAvailable() && sippAvailable() && spawnSync('espeak-ng', ['--version']).status === 0 && spawnSync('sox', ['--version']).status === 0;
const NUMBER = '+4930111333';
const BOT_KEY = 'e2e-bs-bot-key-0123456789abcdef';
const OTHER_KEY = 'e2e-bs-other-key-0123456789abcdef';
const ADMIN_KEY = 'test-admin-key-0123456789';
const TONE_HZ = 1000;

interface Received {
  id: string;
  type: string;
  callId?: string;
  occurredAt: string;
  data: Record<string, unknown>;
  headers: IncomingHttpHeaders;
}

/** The developer's signature check from docs/events.md: every active secret must match. */
function signedByAll(secrets: string[], headers: IncomingHttpHeaders, rawBody: string): boolean {
  const ts = String(headers['switchboard-timestamp'] ?? '');
  const sig = String(headers['switchboard-signature'] ?? '');
  if (!/^\d+$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const given = sig.split(/[\s,]+/).filter((p) => p.startsWith('v1=')).map((p) => Buffer.from(p.slice(3), 'hex'));
  return secrets.every((secret) => {
    const want = createHmac('sha256', secret).update(`${ts}.`).update(rawBody).digest();
    return given.some((g) => g.length === want.length && timingSafeEqual(g, want));
  });
}

/** The application: a webhook endpoint plus a tiny client of the native API. */
class IvrApp {
  readonly events: Received[] = [];
  readonly problems: string[] = [];
  readonly actions: string[] = [];
  secrets: string[] = [];
  api = '';
  url = '';
  transferTarget = '';
  private server: Server | undefined;

  async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        if (!signedByAll(this.secrets, req.headers, raw)) {
          this.problems.push(`bad signature on ${raw.slice(0, 120)}`);
          res.writeHead(401).end();
          return;
        }
        res.writeHead(200).end();
        const e = { ...(JSON.parse(raw) as Omit<Received, 'headers'>), headers: req.headers };
        this.events.push(e);
        this.react(e).catch((err: unknown) => this.problems.push(`reacting to ${e.type}: ${String(err)}`));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  /** The first event matching `pred` (polled; bounded). */
  async waitFor(pred: (e: Received) => boolean, what: string, ms = 20_000): Promise<Received> {
    const until = Date.now() + ms;
    for (;;) {
      const e = this.events.find(pred);
      if (e) return e;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; got ${this.events.map((x) => x.type).join(', ')}; problems: ${this.problems.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  private async post(callId: string, action: string, body: unknown = {}): Promise<void> {
    const res = await fetch(`${this.api}/v1/calls/${callId}/${action}`, {
      method: 'POST', headers: { authorization: `Bearer ${BOT_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const text = await res.text();
    this.actions.push(`${action} ${res.status}`);
    if (res.status !== 202) this.problems.push(`${action} answered ${res.status}: ${text}`);
  }

  private async react(e: Received): Promise<void> {
    const id = e.callId!;
    const result = e.data.result as { code?: number } | undefined;
    switch (e.type) {
      case 'call.incoming':
        return this.post(id, 'answer');
      case 'call.answered':
        await this.post(id, 'play', { sources: [{ kind: 'tts', text: 'Press five.' }], operationContext: 'menu' });
        return this.post(id, 'recognize', { mode: 'dtmf', maxTones: 1, initialSilenceTimeoutMs: 10_000, operationContext: 'menu-digit' });
      case 'recognize.completed':
        if ((e.data.tones as string[] | undefined)?.[0] !== '5') return this.post(id, 'hangup');
        return this.post(id, 'play', { sources: [{ kind: 'tts', text: 'You pressed five. Leave a message.' }], operationContext: 'confirm' });
      case 'play.completed':
        if (e.data.operationContext === 'confirm') {
          return this.post(id, 'record-response', { maxDurationMs: 3000, initialSilenceTimeoutMs: 5000, endSilenceTimeoutMs: 1000, operationContext: 'message' });
        }
        return;
      case 'record.completed':
        if (result?.code !== undefined && result.code !== 200) return this.post(id, 'hangup');
        return this.post(id, 'transfer', { target: { kind: 'sip', uri: this.transferTarget }, operationContext: 'to-agent' });
      default:
    }
  }

  close(): Promise<void> {
    return new Promise((r) => { this.server?.closeAllConnections(); this.server?.close(() => r()); });
  }
}


/** Power at `hz` relative to the strongest of a few other frequencies (tone check by Goertzel). */
function toneDominance(x: Float64Array, rate: number, hz: number): number {
  const at = (f: number) => goertzelPower(x, 0, x.length, goertzelCoefficient(f, rate));
  const others = [300, 500, 700, 1400, 2000, 3000].map(at);
  return at(hz) / Math.max(...others, 1e-9);
}

describe('end to end: a webhook app answers a real baresip call through the native API', { skip: !haveTools && 'baresip, sipp, espeak-ng or sox missing', timeout: 90_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-e2e-bs-'));
  const app = new IvrApp();
  let node: TestNode;
  let tone = '';

  before(async () => {
    // baresip's microphone: 30 s of a 1 kHz tone at 8 kHz (aufile reads WAV; TESTING.md).
    tone = join(dir, 'tone.wav');
    spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', tone, 'synth', '30', 'sine', String(TONE_HZ), 'vol', '0.5']);
    assert.ok(existsSync(tone), 'tone.wav made');
    await app.listen();
    node = await startNode({
      yaml: `
applications:
  - name: ivr-bot
    apiKeys: ["${BOT_KEY}"]
    callbackUrl: "${app.url}"
    numbers:
      - "${NUMBER}"
  - name: other-app
    apiKeys: ["${OTHER_KEY}"]
    callbackUrl: "http://127.0.0.1:9/never"
`,
      env: { SWITCHBOARD_ADMIN_KEY: ADMIN_KEY },
    });
    app.api = node.http;
    const admin = { authorization: `Bearer ${ADMIN_KEY}` };
    const apps = await (await fetch(`${app.api}/v1/applications`, { headers: admin })).json() as { items: { id: string; name: string }[] };
    const bot = apps.items.find((a) => a.name === 'ivr-bot')!;
    const rotated = await fetch(`${app.api}/v1/applications/${bot.id}/webhook-secrets/rotate`, { method: 'POST', headers: admin });
    assert.equal(rotated.status, 200);
    app.secrets = (await rotated.json() as { webhookSecrets: string[] }).webhookSecrets;
  });

  after(async () => {
    await node?.stop();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('answer, TTS, DTMF 5 from baresip, confirmation, recorded tone, blind transfer, call ends', { timeout: 80_000 }, async () => {
    const uasPort = await freeUdpPort();
    app.transferTarget = `sip:agent@127.0.0.1:${uasPort}`;
    // The agent answers and, 300 ms later, hangs up the call baresip placed to it.
    const uas = runSipp({ scenario: 'uas-answer-send-bye.xml', localPort: uasPort, args: ['-mp', String(await freeUdpPort())], timeoutMs: 45_000 });
    const ctrl = await freeTcpPort();
    const phone = runBaresip({
      port: await freeBaresipPort(),
      account: '<sip:bob@127.0.0.1;transport=udp>;regint=0',
      commands: [`/dial sip:${NUMBER}@${node.sip}`],
      seconds: 30,
      rtpPorts: '39300-39399',
      sourceWav: tone,
      extraConfig: ['module_app ctrl_tcp.so', `ctrl_tcp_listen 127.0.0.1:${ctrl}`],
      trace: true,
    });

    // Key 5 while the "Press five" prompt plays (recognize is running by then).
    await app.waitFor((e) => e.type === 'call.answered', 'call.answered');
    for (let i = 0; i < 200 && !app.actions.includes('recognize 202'); i++) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 500));
    const reply = await baresipCommand(ctrl, 'sndcode', '5');
    assert.match(reply, /"ok"\s*:\s*true/, `baresip sndcode reply: ${reply}`);

    const cdrEvent = await app.waitFor((e) => e.type === 'cdr.created', 'cdr.created', 40_000);
    const callId = cdrEvent.callId!;
    const target = await uas;
    await baresipCommand(ctrl, 'quit', '').catch(() => '');
    const bs = await phone;
    assert.deepEqual(app.problems, []);

    // Events: signed (checked on arrival), this call's only, in order, no duplicates under new ids.
    const mine = app.events.filter((e) => e.callId === callId);
    assert.equal(mine.length, app.events.length, 'only this call\'s events');
    for (const e of mine) assert.equal(e.headers['switchboard-event-id'], e.id);
    const unique = mine.filter((e, i) => mine.findIndex((x) => x.id === e.id) === i);
    const types = unique.map((e) => e.type);
    const times = unique.map((e) => Date.parse(e.occurredAt));
    for (let i = 1; i < times.length; i++) assert.ok(times[i] >= times[i - 1], `in order: ${types[i - 1]} then ${types[i]}`);
    let at = -1;
    for (const t of ['call.incoming', 'call.answered', 'recognize.completed', 'play.completed', 'record.completed', 'transfer.accepted', 'call.ended', 'cdr.created']) {
      const next = types.indexOf(t, at + 1);
      assert.ok(next > at, `${t} after the previous expected event in ${types.join(', ')}`);
      at = next;
    }
    assert.equal(types.at(-1), 'cdr.created');
    assert.deepEqual(unique.find((e) => e.type === 'recognize.completed')!.data.tones, ['5']);
    assert.deepEqual(app.actions, ['answer 202', 'play 202', 'recognize 202', 'play 202', 'record-response 202', 'transfer 202']);

    // The transfer: baresip took the REFER and called the SIPp UAS itself.
    const accepted = unique.find((e) => e.type === 'transfer.accepted')!;
    assert.equal(accepted.data.method, 'refer', JSON.stringify(accepted.data));
    assert.match(bs.output, /REFER sip:/, 'baresip received the REFER');
    assert.equal(target.code, 0, `transfer target: ${explain(target)}`);
    assert.match(target.messages, /INVITE sip:agent@127\.0\.0\.1/);
    assert.match(target.messages, /User-Agent: baresip/, 'the target was called by baresip, not by Switchboard');
    const ended = unique.find((e) => e.type === 'call.ended')!;
    assert.equal(ended.data.reason, 'transferred', JSON.stringify(ended.data));

    // The CDR, through the API.
    const key = (k: string) => ({ authorization: `Bearer ${k}` });
    const cdrRes = await fetch(`${app.api}/v1/cdrs/${callId}`, { headers: key(BOT_KEY) });
    assert.equal(cdrRes.status, 200);
    const cdr = await cdrRes.json() as Record<string, unknown>;
    assert.equal(cdr.direction, 'inbound');
    assert.deepEqual(cdr.to, { kind: 'phone', number: NUMBER });
    assert.equal(cdr.endReason, 'transferred');
    assert.deepEqual((cdrEvent.data as { cdr: unknown }).cdr, cdr);

    // The recording: the row, the tone in it, download by token only.
    const done = unique.find((e) => e.type === 'record.completed')!;
    const { recordingId, accessToken } = done.data as { recordingId: string; accessToken: string };
    assert.ok(recordingId && accessToken, JSON.stringify(done.data));
    assert.deepEqual(cdr.recordingIds, [recordingId]);
    const meta = await fetch(`${app.api}/v1/recordings/${recordingId}`, { headers: key(BOT_KEY) });
    assert.equal(meta.status, 200);
    const row = await meta.json() as { state: string; callId: string; durationMs: number };
    assert.equal(row.state, 'completed');
    assert.equal(row.callId, callId);
    assert.ok(row.durationMs > 1000 && row.durationMs <= 3500, `duration ${row.durationMs}`);
    const byToken = await fetch(`${app.api}/v1/recordings/${recordingId}/content?token=${encodeURIComponent(accessToken)}`);
    assert.equal(byToken.status, 200);
    const wavPath = join(dir, 'recording.wav');
    writeFileSync(wavPath, Buffer.from(await byToken.arrayBuffer()));
    const wav = readWav(wavPath);
    assert.ok(wav.samples.length > wav.rate, `recording of ${wav.samples.length} samples`);
    const dominance = toneDominance(wav.samples, wav.rate, TONE_HZ);
    assert.ok(dominance > 100, `the ${TONE_HZ} Hz tone dominates the recording (×${dominance.toFixed(1)})`);
    const noToken = await fetch(`${app.api}/v1/recordings/${recordingId}/content`);
    assert.notEqual(noToken.status, 200, 'no download without token or key');
    const wrongToken = await fetch(`${app.api}/v1/recordings/${recordingId}/content?token=${'x'.repeat(accessToken.length)}`);
    assert.equal(wrongToken.status, 404);

    // The other application sees nothing of it.
    for (const path of [`/v1/calls/${callId}`, `/v1/recordings/${recordingId}`, `/v1/recordings/${recordingId}/content`, `/v1/cdrs/${callId}`]) {
      const res = await fetch(`${app.api}${path}`, { headers: key(OTHER_KEY) });
      assert.equal(res.status, 404, `${path} with the other application's key`);
    }
  });
});
