// Issue 4, end to end: a small webhook application drives a real call through the native
// HTTP API, exactly as a developer would write it — nothing in this file touches core.
//
//   SIPp caller ──INVITE──► Switchboard (number +4930111222 → application "ivr-bot")
//   Switchboard ──POST call.incoming (signed)──► the app ──POST /v1/calls/{id}/answer──► …
//
// The app (node:http on 127.0.0.1:0) verifies Switchboard-Signature on every POST (both v1
// values: the operator rotated the secret once, so two are active), answers 200 at once and
// then reacts:
//   call.incoming → answer; call.answered → play TTS "Press five" + recognize DTMF (1 tone);
//   recognize.completed [5] → play a confirmation; its play.completed → record-response
//   (≤ 3 s); record.completed → blind transfer to a second SIPp UAS. The caller refuses REFER
//   (405, no REFER in its Allow) so Switchboard bridges a new leg; the caller hangs up; both
//   legs end.
// Then the test checks what the developer would see: signed events in order, no duplicate
// deliveries with different ids, the CDR (parties, who ended it), the recording row and its
// download by token (200) / wrong token (404) / another application's key (404), and the
// second application's key getting 404 on the call, its recording and its CDR.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { loadConfig, SwitchboardServer } from '../src/server/index.ts';
import { createEventsService } from '../src/server/events-service.ts';
import { SipService } from '../src/server/sip-service.ts';
import { nullLogger } from '../src/lib/index.ts';

const haveTools = sippAvailable() && spawnSync('espeak-ng', ['--version']).status === 0 && spawnSync('sox', ['--version']).status === 0;
const NUMBER = '+4930111222';
const BOT_KEY = 'e2e-bot-key-0123456789abcdef';
const OTHER_KEY = 'e2e-other-key-0123456789abcdef';
const ADMIN_KEY = 'test-admin-key-0123456789';

interface Received {
  id: string;
  type: string;
  callId?: string;
  occurredAt: string;
  data: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  raw: string;
  at: number;
}

/** The developer's signature check from docs/events.md, returning which secrets matched. */
function signaturesMatching(secrets: string[], headers: IncomingHttpHeaders, rawBody: string): boolean[] {
  const ts = String(headers['switchboard-timestamp'] ?? '');
  const sig = String(headers['switchboard-signature'] ?? '');
  if (!/^\d+$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > 300) return secrets.map(() => false);
  const given = sig.split(/[\s,]+/).filter((p) => p.startsWith('v1=')).map((p) => Buffer.from(p.slice(3), 'hex'));
  return secrets.map((secret) => {
    const want = createHmac('sha256', secret).update(`${ts}.`).update(rawBody).digest();
    return given.some((g) => g.length === want.length && timingSafeEqual(g, want));
  });
}

/** The application: a webhook endpoint plus a tiny client of the native API. */
class IvrApp {
  readonly events: Received[] = [];
  readonly problems: string[] = [];
  readonly actions: { path: string; status: number; body: string }[] = [];
  secrets: string[] = [];
  api = '';
  transferTarget = '';
  url = '';
  private server: Server | undefined;
  private waiters: { pred: (e: Received) => boolean; resolve: (e: Received) => void }[] = [];

  async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const ok = signaturesMatching(this.secrets, req.headers, raw);
        if (!ok.every(Boolean)) {
          this.problems.push(`bad signature (${ok.join(',')}) on ${raw.slice(0, 120)}`);
          res.writeHead(401).end();
          return;
        }
        res.writeHead(200).end();
        const e = JSON.parse(raw) as Omit<Received, 'headers' | 'raw' | 'at'>;
        const rec: Received = { ...e, headers: req.headers, raw, at: Date.now() };
        this.events.push(rec);
        for (const w of [...this.waiters]) if (w.pred(rec)) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(rec); }
        this.react(rec).catch((err: unknown) => this.problems.push(`reacting to ${e.type}: ${String(err)}`));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/switchboard/events`;
  }

  /** Resolves with the first event (already arrived or coming) that matches; bounded. */
  waitFor(pred: (e: Received) => boolean, what: string, ms = 20_000): Promise<Received> {
    const have = this.events.find(pred);
    if (have) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${this.events.map((x) => x.type).join(', ')}; problems: ${this.problems.join(' | ')}`)), ms);
      this.waiters.push({ pred, resolve: (e) => { clearTimeout(t); resolve(e); } });
    });
  }

  private async post(callId: string, action: string, body?: unknown): Promise<void> {
    const path = `/v1/calls/${callId}/${action}`;
    const res = await fetch(`${this.api}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOT_KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    this.actions.push({ path: `${action}`, status: res.status, body: text });
    if (res.status !== 202) this.problems.push(`${action} answered ${res.status}: ${text}`);
  }

  private async react(e: Received): Promise<void> {
    const id = e.callId!;
    const ctx = e.data.operationContext;
    const result = e.data.result as { code?: number } | undefined;
    switch (e.type) {
      case 'call.incoming':
        return this.post(id, 'answer');
      case 'call.answered':
        await this.post(id, 'play', { sources: [{ kind: 'tts', text: 'Press five.' }], operationContext: 'menu' });
        return this.post(id, 'recognize', { mode: 'dtmf', maxTones: 1, initialSilenceTimeoutMs: 10_000, operationContext: 'menu-digit' });
      case 'recognize.completed': {
        const tones = e.data.tones as string[] | undefined;
        if (tones?.[0] !== '5') return this.post(id, 'hangup', {});
        return this.post(id, 'play', { sources: [{ kind: 'tts', text: 'You pressed five. Leave a message.' }], operationContext: 'confirm' });
      }
      case 'play.completed':
        if (ctx === 'confirm') {
          return this.post(id, 'record-response', { maxDurationMs: 3000, initialSilenceTimeoutMs: 5000, endSilenceTimeoutMs: 1000, operationContext: 'message' });
        }
        return;
      case 'record.completed':
        if (result?.code !== undefined && result.code !== 200) return this.post(id, 'hangup', {});
        return this.post(id, 'transfer', { target: { kind: 'sip', uri: this.transferTarget }, operationContext: 'to-agent' });
      default:
    }
  }

  close(): Promise<void> {
    return new Promise((r) => { this.server?.closeAllConnections(); this.server?.close(() => r()); });
  }
}

describe('end to end: a webhook app answers a real SIPp call through the native API', { skip: !haveTools && 'sipp, espeak-ng or sox missing', timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-e2e-app-'));
  const app = new IvrApp();
  let server: SwitchboardServer;
  let sipTarget = '';
  let speech = '';

  before(async () => {
    // The caller's voice: espeak-ng → 8 kHz µ-law raw for SIPp's rtp_stream (TESTING.md).
    const wav = join(dir, 'speech.wav');
    speech = join(dir, 'speech.ulaw');
    spawnSync('espeak-ng', ['-v', 'en-us', '-w', wav, 'Hello, this is my message for the support team. Please call me back tomorrow morning.']);
    spawnSync('sox', [wav, '-r', '8000', '-c', '1', '-t', 'ul', speech]);
    assert.ok(existsSync(speech), 'speech.ulaw made');
    await app.listen();
    writeFileSync(join(dir, 'switchboard.yaml'), `
applications:
  - name: ivr-bot
    apiKeys: ["${BOT_KEY}"]
    callbackUrl: "${app.url}"
    numbers:
      - "${NUMBER}"
  - name: other-app
    apiKeys: ["${OTHER_KEY}"]
    callbackUrl: "http://127.0.0.1:9/never"
`);
    const config = loadConfig({
      SWITCHBOARD_DATA_DIR: join(dir, 'data'), SWITCHBOARD_HTTP_PORT: '0', SWITCHBOARD_SIP_PORT: '0', SWITCHBOARD_SIP_WS_PORT: '0',
      SWITCHBOARD_BIND: '127.0.0.1', SWITCHBOARD_PUBLIC_HOST: '127.0.0.1', SWITCHBOARD_ADMIN_KEY: ADMIN_KEY,
      SWITCHBOARD_LOG_LEVEL: 'silent', SWITCHBOARD_CONFIG: join(dir, 'switchboard.yaml'),
    }, { cwd: dir });
    // One media worker: a bridged transfer needs both endpoints in one worker (docs/adapters.md).
    server = await SwitchboardServer.start(config, {
      logger: nullLogger, print: () => {},
      services: [(ctx) => new SipService(ctx, { mediaWorkers: 1 }), createEventsService],
    });
    app.api = `http://127.0.0.1:${server.httpPort}`;
    sipTarget = `127.0.0.1:${server.service<SipService>('sip')!.ports.udp}`;
    // The operator hands the app its signing secrets: rotating once leaves two active (new, previous).
    const admin = { authorization: `Bearer ${ADMIN_KEY}` };
    const apps = await (await fetch(`${app.api}/v1/applications`, { headers: admin })).json() as { items: { id: string; name: string }[] };
    const bot = apps.items.find((a) => a.name === 'ivr-bot')!;
    const rotated = await fetch(`${app.api}/v1/applications/${bot.id}/webhook-secrets/rotate`, { method: 'POST', headers: admin });
    assert.equal(rotated.status, 200);
    app.secrets = (await rotated.json() as { webhookSecrets: string[] }).webhookSecrets;
    assert.equal(app.secrets.length, 2);
  });

  after(async () => {
    await server?.stop('test done');
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('answer, TTS, DTMF 5, confirmation, recorded response, blind transfer, caller hangs up', { timeout: 50_000 }, async () => {
    const uasPort = await freeUdpPort();
    app.transferTarget = `sip:agent@127.0.0.1:${uasPort}`;
    const uas = runSipp({ scenario: 'calls-uas-answer.xml', localPort: uasPort, args: ['-mp', String(await freeUdpPort())], timeoutMs: 40_000 });
    const uac = runSipp({
      scenario: 'e2e-uac-ivr-caller.xml', target: sipTarget, service: NUMBER, timeoutMs: 40_000,
      args: ['-mp', String(await freeUdpPort())], cwdFiles: { 'speech.ulaw': speech },
    });
    const [a, b] = await Promise.all([uac, uas]);
    assert.equal(a.code, 0, `caller: ${explain(a)}\nevents: ${app.events.map((e) => e.type).join(', ')}\nproblems: ${app.problems.join(' | ')}`);
    assert.equal(b.code, 0, `transfer target: ${explain(b)}`);
    // Switchboard tried REFER first (the caller refused it), then bridged a new leg.
    assert.match(a.messages, /REFER sip:/);
    assert.match(b.messages, /INVITE sip:agent@127\.0\.0\.1/);

    const cdrEvent = await app.waitFor((e) => e.type === 'cdr.created', 'cdr.created');
    const callId = cdrEvent.callId!;
    assert.deepEqual(app.problems, []);

    // Every event signed with both active secrets (checked on arrival), one call, no
    // duplicate delivery under a different id, in the order things happened.
    const mine = app.events.filter((e) => e.callId === callId);
    assert.equal(mine.length, app.events.length, 'only this call\'s events');
    for (const e of mine) {
      const v1 = String(e.headers['switchboard-signature']).split(' ');
      assert.equal(v1.length, 2, 'one v1 value per active secret');
      assert.equal(e.headers['switchboard-event-id'], e.id);
    }
    const ids = new Set(mine.map((e) => e.id));
    const bodies = new Set(mine.map((e) => `${e.type}|${e.occurredAt}|${JSON.stringify(e.data)}`));
    assert.equal(bodies.size, ids.size, 'the same event never came twice under different ids');
    const types = mine.filter((e, i) => mine.findIndex((x) => x.id === e.id) === i).map((e) => e.type);
    const times = mine.map((e) => Date.parse(e.occurredAt));
    for (let i = 1; i < times.length; i++) assert.ok(times[i] >= times[i - 1], `in order: ${types[i - 1]} then ${types[i]}`);
    const expected = ['call.incoming', 'call.answered', 'recognize.completed', 'play.completed', 'record.completed', 'transfer.accepted', 'call.ended', 'cdr.created'];
    let at = -1;
    for (const t of expected) {
      const next = types.indexOf(t, at + 1);
      assert.ok(next > at, `${t} after the previous expected event in ${types.join(', ')}`);
      at = next;
    }
    assert.equal(types.at(-1), 'cdr.created');
    const recognized = mine.find((e) => e.type === 'recognize.completed')!;
    assert.equal(recognized.data.operationContext, 'menu-digit');
    assert.equal(mine.filter((e) => e.type === 'play.completed').length, 2, types.join(', '));
    assert.deepEqual(app.actions.map((x) => `${x.path} ${x.status}`), [
      'answer 202', 'play 202', 'recognize 202', 'play 202', 'record-response 202', 'transfer 202',
    ]);

    // The CDR, through the API.
    const key = (k: string) => ({ authorization: `Bearer ${k}` });
    const cdrRes = await fetch(`${app.api}/v1/cdrs/${callId}`, { headers: key(BOT_KEY) });
    assert.equal(cdrRes.status, 200);
    const cdr = await cdrRes.json() as Record<string, unknown>;
    assert.equal(cdr.direction, 'inbound', JSON.stringify(cdr));
    assert.deepEqual(cdr.from, { kind: 'phone', number: '+4915112345678' });
    assert.deepEqual(cdr.to, { kind: 'phone', number: NUMBER });
    assert.equal(cdr.endedBy, 'remote', 'the caller hung up');
    assert.equal(cdr.endReason, 'normal');
    assert.equal(cdr.sipStatus, 200);
    assert.equal((cdr.legIds as string[]).length, 2);
    const legCdrs = await (await fetch(`${app.api}/v1/cdrs?callId=${callId}&kind=leg`, { headers: key(BOT_KEY) })).json() as { items: Record<string, unknown>[] };
    const legs = legCdrs.items;
    assert.deepEqual(legs.map((l) => l.participant).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))), [
      { kind: 'phone', number: '+4915112345678' }, { kind: 'sip', uri: app.transferTarget },
    ], JSON.stringify(legs));
    // The pushed CDR is the one the API serves.
    assert.deepEqual((cdrEvent.data as { cdr: unknown }).cdr, cdr);

    // The recording: the row, download by token, not with a wrong token or another app's key.
    const done = mine.find((e) => e.type === 'record.completed')!;
    const { recordingId, accessToken } = done.data as { recordingId: string; accessToken: string };
    assert.ok(recordingId && accessToken, JSON.stringify(done.data));
    assert.deepEqual(cdr.recordingIds, [recordingId]);
    const meta = await fetch(`${app.api}/v1/recordings/${recordingId}`, { headers: key(BOT_KEY) });
    assert.equal(meta.status, 200);
    const row = await meta.json() as { state: string; callId: string; durationMs: number };
    assert.equal(row.state, 'completed');
    assert.equal(row.callId, callId);
    assert.ok(row.durationMs > 300 && row.durationMs <= 3500, `duration ${row.durationMs}`);
    const byToken = await fetch(`${app.api}/v1/recordings/${recordingId}/content?token=${encodeURIComponent(accessToken)}`);
    assert.equal(byToken.status, 200);
    assert.equal(byToken.headers.get('content-type'), 'audio/wav');
    const wav = Buffer.from(await byToken.arrayBuffer());
    assert.equal(wav.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.ok(wav.length > 44 + 8000, `wav of ${wav.length} bytes holds audio`);
    const wrongToken = await fetch(`${app.api}/v1/recordings/${recordingId}/content?token=${'x'.repeat(accessToken.length)}`);
    assert.equal(wrongToken.status, 404);
    assert.equal((await wrongToken.json() as { error: { code: string } }).error.code, 'RECORDING_NOT_FOUND');

    // The other application sees nothing of it.
    for (const path of [`/v1/calls/${callId}`, `/v1/recordings/${recordingId}`, `/v1/recordings/${recordingId}/content`, `/v1/cdrs/${callId}`]) {
      const res = await fetch(`${app.api}${path}`, { headers: key(OTHER_KEY) });
      assert.equal(res.status, 404, `${path} with the other application's key`);
    }
    const own = await fetch(`${app.api}/v1/calls/${callId}`, { headers: key(BOT_KEY) });
    assert.equal(own.status, 200);
    assert.equal((await own.json() as { state: string }).state, 'ended');
  });
});
