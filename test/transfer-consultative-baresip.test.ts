// Consultative transfer with a real transferee that cannot do it, and the application's way out:
//
//   baresip ──INVITE──► node A (bot; call X, leg A)
//   node A ──INVITE (createCall)──► node B (desk application answers; call Y at A, call Z at B)
//   node A ──REFER Refer-To: <B's Contact?Replaces=Y's dialog>──► baresip (202)
//   baresip 1.0.0 dials the Refer-To URI as it is — ?Replaces= left in the Request-URI, not
//   made a header (RFC 3891 §5 wants the header) — node B answers 400, baresip NOTIFYs 400:
//   transfer.failed, and every leg stays up (RFC 5589 §7: the transferor keeps both calls).
//   The application then asks for the bridge (useRefer: false): node A connects X and Y in its
//   media; node B plays a 1 kHz tone on Z; baresip hears it through A; B hangs up; A's bridge
//   ends X too.
//
// A real follow-through of Replaces (an INVITE with Replaces taking over node B's leg) is
// covered with SIPp in test/sip-replaces-sipp.test.ts. Node A runs one media worker (the
// bridge needs both endpoints in one worker, docs/adapters.md); node B is a default node.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baresipAvailable, freeBaresipPort, runBaresip } from './helpers/baresip.ts';
import { readWav } from './helpers/wav.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';
import { loadConfig, SwitchboardServer } from '../src/server/index.ts';
import { createEventsService } from '../src/server/events-service.ts';
import { SipService } from '../src/server/sip-service.ts';
import { nullLogger } from '../src/lib/index.ts';
import { startReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';
import { goertzelCoefficient, goertzelPower } from '../src/media/index.ts';

const BOT_NUMBER = '+4930100100';
const DESK_NUMBER = '+4930200200';
const BOT_KEY = 'ct-bs-bot-key-0123456789abcdef';
const DESK_KEY = 'ct-bs-desk-key-0123456789abcdef';

interface Ev { id: string; type: string; callId?: string; data: Record<string, unknown> }

/** 20 s of 8 kHz mono silence for baresip's microphone. */
function quietWav(dir: string): string {
  const n = 8000 * 20;
  const b = Buffer.alloc(44 + n * 2);
  b.write('RIFF', 0); b.writeUInt32LE(36 + n * 2, 4); b.write('WAVE', 8);
  b.write('fmt ', 12); b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22);
  b.writeUInt32LE(8000, 24); b.writeUInt32LE(16000, 28); b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34);
  b.write('data', 36); b.writeUInt32LE(n * 2, 40);
  const path = join(dir, 'quiet.wav');
  writeFileSync(path, b);
  return path;
}

/**
 * A node like startNode's, with ONE media worker: the bridge fallback needs both of its legs'
 * endpoints in one worker (docs/adapters.md), and the caller's and the consultation leg's
 * endpoints are made independently.
 */
async function startOneWorkerNode(yaml: string): Promise<TestNode> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-node-1w-'));
  writeFileSync(join(dir, 'switchboard.yaml'), yaml);
  const config = loadConfig({
    SWITCHBOARD_DATA_DIR: join(dir, 'data'), SWITCHBOARD_HTTP_PORT: '0', SWITCHBOARD_SIP_PORT: '0', SWITCHBOARD_SIP_WS_PORT: '0',
    SWITCHBOARD_BIND: '127.0.0.1', SWITCHBOARD_PUBLIC_HOST: '127.0.0.1', SWITCHBOARD_ADMIN_KEY: 'test-admin-key-0123456789',
    SWITCHBOARD_LOG_LEVEL: 'silent', SWITCHBOARD_CONFIG: join(dir, 'switchboard.yaml'),
  }, { cwd: dir });
  const server = await SwitchboardServer.start(config, {
    logger: nullLogger, print: () => {}, services: [(ctx) => new SipService(ctx, { mediaWorkers: 1 }), createEventsService],
  });
  const ports = server.service<SipService>('sip')!.ports;
  return { dir, server, config, ports: ports as TestNode["ports"], sip: `127.0.0.1:${ports.udp}`, http: `http://127.0.0.1:${server.httpPort}`, stop: () => server.stop('test done') };
}

describe('consultative transfer of a baresip caller to another node: baresip 1.0.0 cannot follow Replaces, the application bridges instead', { skip: !baresipAvailable() && 'baresip missing', timeout: 90_000 }, () => {
  let a: TestNode;
  let b: TestNode;
  let hooksA: WebhookReceiver;
  let hooksB: WebhookReceiver;
  const evs = (h: WebhookReceiver): Ev[] => h.received.map((r) => JSON.parse(r.body) as Ev);
  const waitEvent = async (h: WebhookReceiver, pred: (e: Ev) => boolean, what: string, ms = 15_000): Promise<Ev> => {
    const until = Date.now() + ms;
    for (;;) {
      const e = evs(h).find(pred);
      if (e) return e;
      if (Date.now() > until) throw new Error(`no ${what}; got ${evs(h).map((x) => x.type).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const post = async (node: TestNode, key: string, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`${node.http}${path}`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() as Record<string, unknown> };
  };

  before(async () => {
    hooksA = await startReceiver();
    hooksB = await startReceiver();
    a = await startOneWorkerNode(`
applications:
  - name: bot
    apiKeys: ["${BOT_KEY}"]
    callbackUrl: "${hooksA.url}"
    numbers: ["${BOT_NUMBER}"]
`);
    b = await startNode({ yaml: `
applications:
  - name: desk
    apiKeys: ["${DESK_KEY}"]
    callbackUrl: "${hooksB.url}"
    numbers: ["${DESK_NUMBER}"]
` });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await hooksA?.close();
    await hooksB?.close();
  });

  test('REFER with Replaces → NOTIFY 400 → transfer.failed, nothing released; useRefer: false bridges; B\'s tone reaches baresip', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-ct-bs-'));
    const phone = runBaresip({
      port: await freeBaresipPort(),
      account: '<sip:carol@127.0.0.1;transport=udp>;regint=0',
      commands: [`/dial sip:${BOT_NUMBER}@${a.sip}`],
      seconds: 14,
      rtpPorts: '39600-39699',
      sourceWav: quietWav(dir),
      trace: true,
    });
    // Node A: the bot answers the caller (call X).
    const incoming = await waitEvent(hooksA, (e) => e.type === 'call.incoming', 'call.incoming at A');
    const x = incoming.callId!;
    assert.equal((await post(a, BOT_KEY, `/v1/calls/${x}/answer`, {})).status, 202);
    await waitEvent(hooksA, (e) => e.type === 'call.answered' && e.callId === x, 'call.answered X');
    // Node A consults the desk at node B (call Y at A, call Z at B), which answers.
    const created = await post(a, BOT_KEY, '/v1/calls', { target: { kind: 'sip', uri: `sip:${DESK_NUMBER}@${b.sip}` } });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const y = (created.json.call as { id: string }).id;
    const atDesk = await waitEvent(hooksB, (e) => e.type === 'call.incoming', 'call.incoming at B');
    const z = atDesk.callId!;
    assert.equal((await post(b, DESK_KEY, `/v1/calls/${z}/answer`, {})).status, 202);
    await waitEvent(hooksA, (e) => e.type === 'call.answered' && e.callId === y, 'call.answered Y');

    // The attended transfer. baresip 1.0.0 accepts the REFER but does not turn the Refer-To's
    // ?Replaces= into a Replaces header: it dials the whole URI (headers in the Request-URI,
    // RFC 3261 §19.1.5), node B answers 400, and baresip reports NOTIFY sipfrag 400.
    const op = await post(a, BOT_KEY, `/v1/calls/${x}/transfer-consultative`, { targetCallId: y, operationContext: 'attended' });
    assert.equal(op.status, 202, JSON.stringify(op.json));
    const failed = await waitEvent(hooksA, (e) => (e.type === 'transfer.accepted' || e.type === 'transfer.failed') && e.callId === x, 'transfer outcome', 20_000);
    assert.equal(failed.type, 'transfer.failed', JSON.stringify(failed.data));
    assert.equal(failed.data.sipStatus, 400);
    assert.equal(failed.data.operationContext, 'attended');
    // Nothing was released: X and Y at A and Z at B are all still up.
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(evs(hooksA).filter((e) => e.type === 'call.ended'), []);
    assert.deepEqual(evs(hooksB).filter((e) => e.type === 'call.ended'), []);

    // So the application bridges the two itself (useRefer: false): A's media connects X and Y.
    const bridged = await post(a, BOT_KEY, `/v1/calls/${x}/transfer-consultative`, { targetCallId: y, useRefer: false });
    assert.equal(bridged.status, 202, JSON.stringify(bridged.json));
    const accepted = await waitEvent(hooksA, (e) => e.type === 'transfer.accepted' && e.callId === x, 'transfer.accepted');
    assert.equal(accepted.data.method, 'bridge');

    // The desk (node B) plays a tone: it crosses A's bridge and reaches baresip.
    const play = await post(b, DESK_KEY, `/v1/calls/${z}/play`, { sources: [{ kind: 'tone', frequencies: [1000], durationMs: 1500 }] });
    assert.equal(play.status, 202);
    await waitEvent(hooksB, (e) => e.type === 'play.completed' && e.callId === z, 'play.completed at B');
    // The desk hangs up: A's consultation leg ends, and the bridge ends the caller's leg too.
    assert.equal((await post(b, DESK_KEY, `/v1/calls/${z}/hangup`, { forEveryone: true })).status, 202);
    const endedX = await waitEvent(hooksA, (e) => e.type === 'call.ended' && e.callId === x, 'call.ended X');
    await waitEvent(hooksA, (e) => e.type === 'call.ended' && e.callId === y, 'call.ended Y');
    // X's leg was hung up by us because its bridge partner (in call Y) left.
    assert.equal(endedX.data.reason, 'peer-hangup', JSON.stringify(endedX.data));

    const r = await phone;
    assert.match(r.output, /INVITE sip:switchboard@[^ ]*\?Replaces=/, 'baresip dialed the Refer-To with the header left in the Request-URI');
    assert.match(r.output, /SIP\/2\.0 400 Bad Request/);
    const heard = r.recordings.filter((p) => /dec\.wav$/.test(p)).map((p) => readWav(p));
    const best = Math.max(...heard.map((w) => {
      const at = (f: number) => goertzelPower(w.samples, 0, w.samples.length, goertzelCoefficient(f, w.rate));
      return at(1000) / Math.max(at(500), at(1500), at(2500), 1e-9);
    }));
    assert.ok(best > 100, `baresip heard node B's 1 kHz tone through A's bridge (best ratio ${best.toFixed(1)} over ${heard.length} recordings)`);
  });
});
