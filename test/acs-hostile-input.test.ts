// Hostile input against every ACS route (src/faces/acs/routes/index.ts ACS_ROUTES), signed with
// a valid HMAC exactly as the SDK signs (vendor-apis.md A.10, hmac-auth.ts), so every request
// passes authentication and reaches the route's own validation. A real SIPp call answered
// through the official SDK (acs-sdk-160) stays up the whole time.
//
// Each route gets: no body, JSON null / array / string / number, a JSON syntax error, invalid
// UTF-8, other content types, deep nesting, unknown fields, each field the ACS models use with
// the wrong type and as a 64 KB string, another application's call id and an unknown id; plus
// unsigned and badly signed requests. Asserts: 4xx in ACS's shape {error:{code,message}}
// (vendor-apis.md A.9) — or 501 NotSupported, or a 2xx only where the request is a valid one
// with tolerated unknown fields — never 500, never a hang; afterwards /healthz, the live call
// still plays text to PlayCompleted (callback delivered), and it hangs up cleanly (SIPp exits 0).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { explain, freeUdpPort, runSipp, sippAvailable, type SippResult } from './helpers/sipp.ts';
import { loadSdk, startAcsBotNode, typeOf, waitForRequest, type AcsBotNode } from './helpers/acs-sdk-bot.ts';
import { startReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';
import { ACS_ROUTES } from '../src/faces/acs/routes/index.ts';
import { computeHmacSignature, contentHash } from '../src/faces/acs/hmac-auth.ts';
import { ADMIN } from '../src/core/index.ts';

const sdk = loadSdk('acs-sdk-160');
const BOT_NUMBER = '+4930666001';
const OTHER_NUMBER = '+4930666002';
const UNKNOWN_ID = 'aaaaaaaa-0000-4000-8000-000000000000';
const BIG = 'x'.repeat(64 * 1024);
const REQUEST_TIMEOUT_MS = 5000;
/** Routes that would end, move or hold the live call if a body happened to pass: only wrong ids go there. */
const DESTRUCTIVE = /terminate|transferToParticipant|:remove|:moveHere|hold/;
/** Fields of the ACS request models (answer, createCall, play, recognize, participants, media streaming, transcription, recording). */
const FIELDS = [
  'incomingCallContext', 'callbackUri', 'targets', 'target', 'targetParticipant', 'participantToAdd', 'participantToRemove', 'participantToMute',
  'playSources', 'playTo', 'loop', 'recognizeInputType', 'recognizeOptions', 'tones', 'operationContext', 'operationCallbackUri',
  'callLocator', 'mediaStreamingOptions', 'transcriptionOptions', 'locale', 'recordingStateCallbackUri', 'recordingContentType',
  'recordingChannelType', 'recordingFormatType', 'sourceCallerIdNumber', 'invitationTimeoutInSeconds', 'invitationId', 'fromCall',
  'transferee', 'interruptCallMediaOperation', 'dtmfOptions', 'transportUrl', 'enableBidirectional', 'audioFormat', 'speechModelEndpointId',
];
const WRONG: unknown[] = [12345, 'a-string', [], { deep: { er: [1, { x: null }] } }, true, null, -1e308];

interface Probe { method: string; path: string; body?: string | Blob; contentType?: string; what: string; sign?: 'ok' | 'none' | 'bad' }
interface Answer { status: number; json: unknown; text: string }

describe('ACS face under hostile input (valid HMAC, garbage bodies), with a live SIPp call', { skip: !sippAvailable() && 'sipp missing', timeout: 90_000 }, () => {
  let bot: AcsBotNode;
  let otherKey = '';
  let otherGrid: WebhookReceiver;
  let callbacks: WebhookReceiver;
  let botSipp: Promise<SippResult>;
  let otherSipp: Promise<SippResult>;
  let liveCall = '';
  let otherCall = '';

  /** Sends `p` signed with `key` the way the SDK signs (x-ms-date;host;x-ms-content-sha256). */
  async function send(p: Probe, key: string): Promise<Answer> {
    const url = new URL(bot.node.http + p.path);
    const raw = p.body === undefined ? Buffer.alloc(0) : typeof p.body === 'string' ? Buffer.from(p.body) : Buffer.from(await p.body.arrayBuffer());
    const date = new Date().toUTCString();
    const hash = contentHash(raw);
    const headers: Record<string, string> = { 'x-ms-date': date, 'x-ms-content-sha256': hash };
    if (p.contentType) headers['content-type'] = p.contentType;
    if (p.sign !== 'none') {
      const sig = p.sign === 'bad' ? 'AAAA' + computeHmacSignature(key, p.method, url.pathname + url.search, date, url.host, hash).slice(4) : computeHmacSignature(key, p.method, url.pathname + url.search, date, url.host, hash);
      headers.authorization = `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${sig}`;
    }
    const res = await fetch(url, { method: p.method, headers, body: p.body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const text = await res.text();
    let json: unknown;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: res.status, json, text };
  }

  /** A concrete path for a route pattern with `id` as the call/recording id. */
  function pathFor(source: string, id: string): string {
    return source.replace(/^\^/, '').replace(/\$$/, '').replace(/\\\//g, '/')
      .replace(/\(\[\^\/:\]\+\)/g, id).replace(/\(\?:\/\(\.\+\)\)\?/, '').replace(/\((\w+)\|[^)]*\)/, '$1');
  }

  function probesFor(method: string, path: string, live: boolean, withFields: boolean): Probe[] {
    const out: Probe[] = [];
    const json = 'application/json';
    if (method !== 'POST') {
      out.push({ method, path, what: 'no body' });
      out.push({ method, path: `${path}?api-version=${'9'.repeat(3000)}&x=%FF%FE`, what: 'garbage query' });
      return out;
    }
    const bodies: [string, string | Blob, string | undefined][] = [
      ['null', 'null', json], ['array', '[1,2,3]', json], ['string', '"a string"', json], ['number', '42', json],
      ['JSON syntax error', '{"targets": [', json], ['invalid UTF-8', new Blob([new Uint8Array([0x7b, 0x22, 0x61, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])]), json],
      ['text/plain', 'hello', 'text/plain'], ['form', 'a=b&c=d', 'application/x-www-form-urlencoded'], ['xml', '<a/>', 'application/xml'],
      ['no content type', '{"operationContext":"x"}', undefined], ['nesting 5000 deep', '{"a":'.repeat(5000) + '1' + '}'.repeat(5000), json],
      ['unknown fields', JSON.stringify({ zzUnknown: 1, __proto__x: { polluted: true } }), json],
      ['prototype pollution', '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}', json],
    ];
    // Everything above is garbage to a destructive route too, except that some may read as "no
    // parameters" — so those routes only ever see the wrong ids.
    if (!live) out.push({ method, path, what: 'no body' });
    for (const [what, body, contentType] of bodies) out.push({ method, path, body, contentType, what });
    // Field by field (only on the first target of a route, to stay within a few thousand requests):
    // a 64 KB string and one wrong-typed value, the values rotating over the fields.
    if (withFields) {
      FIELDS.forEach((f, i) => {
        for (const v of [BIG, WRONG[i % WRONG.length]]) out.push({ method, path, body: JSON.stringify({ [f]: v }), contentType: json, what: `${f}: ${JSON.stringify(v).slice(0, 24)}` });
      });
    }
    return out;
  }

  /** What a hostile ACS request may get. */
  function problemWith(p: Probe, a: Answer): string | undefined {
    const e = (a.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const shaped = typeof e?.code === 'string' && typeof e.message === 'string';
    if (a.status >= 200 && a.status < 300) return undefined; // judged by the call surviving: a tolerated body that acted
    if (a.status === 501 && shaped && e.code === 'NotSupported') return undefined;
    if (a.status < 400 || a.status > 499) return `status ${a.status}: ${a.text.slice(0, 200)}`;
    // A correctly signed request must get past authentication to the route's own validation.
    if (p.sign === undefined && (a.status === 401 || a.status === 403)) return `signed, yet ${a.status}: ${a.text.slice(0, 200)}`;
    if (!shaped) return `not ACS's error shape: ${a.status} ${a.text.slice(0, 200)}`;
    return undefined;
  }

  before(async () => {
    bot = await startAcsBotNode({ numbers: [BOT_NUMBER] });
    // The second application (another tenant) with its own number, made through the admin API.
    const admin = { authorization: 'Bearer test-admin-key-0123456789', 'content-type': 'application/json' };
    const made = await fetch(`${bot.node.http}/v1/applications`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'acsother' }) });
    assert.equal(made.status, 201, await made.clone().text());
    const otherId = ((await made.json()) as { application: { id: string } }).application.id;
    const num = await fetch(`${bot.node.http}/v1/numbers`, { method: 'POST', headers: admin, body: JSON.stringify({ number: OTHER_NUMBER, applicationId: otherId }) });
    assert.equal(num.status, 201, await num.text());
    callbacks = await startReceiver();
    const answer = async (grid: WebhookReceiver, key: string): Promise<string> => {
      const incoming = await waitForRequest(grid, (q) => q.body.includes('Microsoft.Communication.IncomingCall'), `IncomingCall at ${grid.url}`);
      const ctx = (JSON.parse(incoming.body) as { data: { incomingCallContext: string } }[])[0].data.incomingCallContext;
      const client = new sdk.CallAutomationClient(`endpoint=${bot.node.http}/;accesskey=${key}`, { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });
      const answered = await client.answerCall(ctx, callbacks.url);
      return answered.callConnectionProperties.callConnectionId!;
    };
    botSipp = runSipp({ scenario: 'hostile-uac-wait-bye.xml', target: bot.node.sip, service: BOT_NUMBER, args: ['-mp', String(await freeUdpPort())], timeoutMs: 60_000 });
    liveCall = await answer(bot.eventGrid, bot.key).catch(async (e: Error) => { throw new Error(`${e.message}\n${explain(await botSipp)}`); });
    otherKey = (await bot.tenancy.acs.issue(ADMIN, otherId)).key;
    otherGrid = await startReceiver();
    await bot.tenancy.acs.setIncomingCallUrl(ADMIN, otherId, otherGrid.url);
    otherSipp = runSipp({ scenario: 'hostile-uac-wait-bye.xml', target: bot.node.sip, service: OTHER_NUMBER, args: ['-mp', String(await freeUdpPort())], timeoutMs: 60_000 });
    otherCall = await answer(otherGrid, otherKey).catch(async (e: Error) => { throw new Error(`${e.message}\n${explain(await otherSipp)}`); });
    await waitForRequest(callbacks, (q) => typeOf(q) === 'CallConnected' && q.body.includes(liveCall), 'CallConnected');
  });

  after(async () => {
    await callbacks?.close();
    await otherGrid?.close();
    await bot?.stop();
  });

  test('every ACS route answers garbage with a 4xx in ACS\'s error shape; the node and the call survive', { timeout: 80_000 }, async () => {
    const problems: string[] = [];
    let sent = 0;
    const statuses = new Map<number, number>();
    const probe = async (p: Probe, key = bot.key): Promise<Answer | undefined> => {
      sent++;
      try {
        const a = await send(p, key);
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        const why = problemWith(p, a);
        if (why) problems.push(`${p.method} ${p.path.slice(0, 90)} [${p.what}]: ${why}`);
        return a;
      } catch (err) {
        problems.push(`${p.method} ${p.path.slice(0, 90)} [${p.what}]: no answer (${String(err)})`);
        return undefined;
      }
    };
    for (const r of ACS_ROUTES) {
      const scoped = r.pattern.source.includes('([^/:]+)');
      const destructive = DESTRUCTIVE.test(r.pattern.source) || (r.method === 'DELETE' && r.pattern.source.includes('callConnections'));
      const targets = scoped
        ? [...(destructive ? [] : [{ id: liveCall, live: true }]), { id: UNKNOWN_ID, live: false }, { id: '..%2F..%2Fetc%2Fpasswd', live: false }]
        : [{ id: '', live: false }];
      for (const [i, t] of targets.entries()) {
        const path = pathFor(r.pattern.source, t.id);
        for (const p of probesFor(r.method, path, t.live, i === 0)) await probe(p);
      }
      // Another application's call: NotFound, never Forbidden or success.
      if (scoped && r.pattern.source.includes('callConnections')) {
        const a = await probe({ method: r.method, path: pathFor(r.pattern.source, otherCall), body: r.method === 'POST' ? '{}' : undefined, contentType: 'application/json', what: 'other app\'s call' });
        if (a && !(a.status === 404 || a.status === 400)) problems.push(`${r.method} ${r.pattern.source} on another application's call: ${a.status} ${a.text.slice(0, 120)}`);
      }
    }
    // The routes that end, move or hold, on the live call, with a participant who is not in it or
    // a garbage target: whatever they answer, the call must still be connected afterwards.
    const stranger = { kind: 'phoneNumber', rawId: '4:+4915199999999', phoneNumber: { value: '+4915199999999' } };
    const near: [string, unknown][] = [
      ['participants:remove', { participantToRemove: stranger }], ['participants:remove', { participantToRemove: { rawId: 'garbage' } }],
      ['participants:mute', { targetParticipants: [stranger] }], ['participants:moveHere', { fromCall: UNKNOWN_ID, targetParticipants: [stranger] }],
      ['participants:moveHere', { fromCall: otherCall, targetParticipants: [stranger] }],
      [':hold', { targetParticipant: stranger }], [':unhold', { targetParticipant: stranger }],
      [':transferToParticipant', { targetParticipant: { rawId: 'garbage' } }], [':transferToParticipant', { targetParticipant: stranger, transferee: { rawId: '8:acs:nobody' } }],
      [':transferToParticipant', {}],
    ];
    for (const [action, body] of near) {
      const path = `/calling/callConnections/${liveCall}${action.startsWith(':') ? action : `/${action}`}`;
      const a = await probe({ method: 'POST', path, body: JSON.stringify(body), contentType: 'application/json', what: `near ${action}` });
      const state = await send({ method: 'GET', path: `/calling/callConnections/${liveCall}`, what: 'state' }, bot.key);
      const s = (state.json as { callConnectionState?: string } | undefined)?.callConnectionState;
      if (s !== 'connected') {
        problems.push(`${action} ${JSON.stringify(body)} (${a?.status} ${a?.text.slice(0, 120)}) left the live call ${s}`);
        break;
      }
    }
    // A body over the 1 MiB limit (signed, so only its size is wrong) and a concurrent burst.
    await probe({ method: 'POST', path: `/calling/callConnections/${liveCall}:play`, body: JSON.stringify({ playSources: [{ kind: 'text', text: { text: 'y'.repeat(2 * 1024 * 1024) } }] }), contentType: 'application/json', what: '2 MiB body' });
    const burst = await Promise.all(Array.from({ length: 100 }, (_, i) => probe({
      method: 'POST', path: `/calling/callConnections/${i % 2 ? liveCall : UNKNOWN_ID}:${['play', 'recognize', 'sendDtmfTones', 'startMediaStreaming'][i % 4]}`,
      body: i % 3 ? '{"playSources": [' : JSON.stringify({ playSources: 'x', tones: 5 }), contentType: 'application/json', what: `burst ${i}`,
    })));
    burst.forEach((a, i) => { if (a && (a.status < 400 || a.status > 499)) problems.push(`burst ${i}: ${a.status} ${a.text.slice(0, 120)}`); });
    // Unsigned and badly signed requests never reach a route.
    for (const sign of ['none', 'bad'] as const) {
      const a = await probe({ method: 'POST', path: `/calling/callConnections/${liveCall}:play`, body: '{"playSources":[]}', contentType: 'application/json', what: `signature ${sign}`, sign });
      if (a && a.status !== 401) problems.push(`signature ${sign}: ${a.status}`);
    }
    assert.deepEqual(problems, [], `${problems.length} of ${sent} hostile ACS requests misbehaved`);
    assert.ok(sent > 1000, `sent ${sent}`);
    // Most garbage is a 400 BadRequest from the routes themselves (not 401s or 404s of a wrong path).
    assert.ok((statuses.get(400) ?? 0) > sent / 3, `statuses ${JSON.stringify([...statuses])}`);

    // Alive, and the live call still works: a text prompt plays to PlayCompleted, delivered.
    assert.equal((await fetch(`${bot.node.http}/healthz`)).status, 200);
    const conn = bot.client(sdk).getCallConnection(liveCall);
    const props = await conn.getCallConnectionProperties();
    assert.equal(props.callConnectionState, 'connected');
    const before = callbacks.received.length;
    await conn.getCallMedia().playToAll([{ kind: 'textSource', text: 'Still here.', sourceLocale: 'en-US' }], { operationContext: 'after-barrage' });
    await waitForRequest(callbacks, (q) => callbacks.received.indexOf(q) >= before && typeOf(q) === 'PlayCompleted' && q.body.includes('after-barrage'), 'PlayCompleted after the barrage', 20_000);
    await conn.hangUp(true);
    await new sdk.CallAutomationClient(`endpoint=${bot.node.http}/;accesskey=${otherKey}`, { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } })
      .getCallConnection(otherCall).hangUp(true);
    const [r1, r2] = await Promise.all([botSipp, otherSipp]);
    assert.equal(r1.code, 0, explain(r1));
    assert.equal(r2.code, 0, explain(r2));
  });
});
