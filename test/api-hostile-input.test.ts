// Hostile input against every native API route on a running node (docs/errors.md: "bad input
// gets a clear error and loses nothing"). The routes come from the node's own /openapi.json, so
// a route added later is attacked too. A real SIPp call to the bot's number stays up the whole
// time, so the call-scoped routes reach real validation instead of stopping at CALL_NOT_FOUND.
//
// For every route it sends: no body, JSON null / array / string / number, a JSON syntax error,
// invalid UTF-8, the wrong Content-Type, deep nesting, unknown fields, each documented body
// field with the wrong type and as a 64 KB string, garbage query parameters, another
// application's call id and an unknown id. It asserts: a 4xx with a catalogued code (or the
// documented 2xx where unknown fields are tolerated, or 501 NOT_CONFIGURED), never 500, never a
// hang (each request bounded); then that the process is alive (/healthz), the live call still
// plays a tone to completion, the outbox still delivers an event to the webhook, and the call
// ends cleanly (SIPp gets our BYE).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { explain, freeUdpPort, runSipp, sippAvailable, type SippResult } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';
import { startReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';
import { ERROR_CATALOG } from '../src/http/errors.ts';

const haveSipp = sippAvailable();
const ADMIN = { authorization: 'Bearer test-admin-key-0123456789' };
const BOT_KEY = 'hostile-bot-key-0123456789abcdef';
const OTHER_KEY = 'hostile-other-key-0123456789abcdef';
const BOT = { authorization: `Bearer ${BOT_KEY}` };
const OTHER = { authorization: `Bearer ${OTHER_KEY}` };
const BOT_NUMBER = '+4930777001';
const OTHER_NUMBER = '+4930777002';
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const BIG = 'x'.repeat(64 * 1024);
/** Per-request bound: a hostile request must be answered, not left hanging. */
const REQUEST_TIMEOUT_MS = 5000;

/** Segments of /v1/calls/{id}/… that would end or move the live call if a body happened to pass. */
const DESTRUCTIVE = /\/(hangup|reject|redirect|transfer|transfer-consultative|hold|remove)$|\/participants\/\{legId\}$/;

interface Route { method: string; path: string; body?: { properties?: Record<string, { type?: string | string[] }> } }
interface Probe { method: string; url: string; headers: Record<string, string>; body?: string | Blob; what: string; bodyless?: boolean; nullable?: boolean }
interface Answer { status: number; json: unknown; text: string }

async function send(base: string, p: Probe): Promise<Answer> {
  const res = await fetch(base + p.url, {
    method: p.method, headers: p.headers, body: p.body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text };
}

const codeOf = (a: Answer): string | undefined => (a.json as { error?: { code?: string } } | undefined)?.error?.code;

/** Which key a route is called with: admin routes with the admin key, the rest as the bot. */
function keyFor(path: string): Record<string, string> {
  return /^\/v1\/(applications|numbers|trunks|sip-users)/.test(path) ? ADMIN : BOT;
}

/** A value of the wrong type for a schema property. */
function wrongFor(type: string | string[] | undefined): unknown[] {
  const t = Array.isArray(type) ? type[0] : type;
  if (t === 'string') return [12345, { nested: true }];
  if (t === 'integer' || t === 'number') return ['not-a-number', -1e308];
  if (t === 'boolean') return ['yes'];
  if (t === 'array') return ['not-an-array', [[[[]]]]];
  return ['not-an-object', 7];
}

function deep(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Every hostile request for one route, with its path parameters filled in. */
function probesFor(r: Route, ids: { live: string; otherCall: string; otherApp: string }): Probe[] {
  const out: Probe[] = [];
  const fill = (callId: string): string => r.path.replace('{id}', callId).replace('{legId}', UNKNOWN_ID).replace('{rid}', UNKNOWN_ID)
    .replace('{keyId}', UNKNOWN_ID).replace('{*}', 'v1/nothing');
  const isCall = r.path.startsWith('/v1/calls/{id}');
  const urls = isCall
    ? [{ url: fill(ids.live), live: true }, { url: fill(UNKNOWN_ID), live: false }]
    : [{ url: r.path.replace(/\{id\}/, UNKNOWN_ID).replace(/\{[^}]+\}/g, UNKNOWN_ID).replace('{*}', 'x'), live: false }];
  // An existing application's routes reach their body validation (PATCH, keys, the ACS
  // IncomingCall URL); never DELETE it, never touch its keys by id.
  if (r.path.startsWith('/v1/applications/{id}') && r.method !== 'DELETE' && !r.path.includes('{keyId}')) {
    urls.push({ url: r.path.replace('{id}', ids.otherApp), live: false });
  }
  const key = keyFor(r.path);
  const json = { ...key, 'content-type': 'application/json' };
  for (const { url, live } of urls) {
    const safe = !(live && DESTRUCTIVE.test(r.path));
    if (r.method === 'GET' || r.method === 'DELETE') {
      out.push({ method: r.method, url: `${url}?limit=abc&since=-1&until=zz&pageToken=%FF%FE&callId=${'y'.repeat(4096)}`, headers: key, what: 'garbage query' });
      out.push({ method: r.method, url: `${url}?limit=99999999999999999999&kind=nope`, headers: key, what: 'out-of-range query' });
      if (r.method === 'DELETE' && !safe) continue;
      continue;
    }
    // No body at all reads as {} (every field optional): tolerated, so never sent where {} would act on the live call.
    if (safe) out.push({ method: r.method, url, headers: key, what: 'no body' });
    out.push({ method: r.method, url, headers: json, body: 'null', what: 'null' });
    out.push({ method: r.method, url, headers: json, body: '[1,2,3]', what: 'array' });
    out.push({ method: r.method, url, headers: json, body: '"a string"', what: 'string' });
    out.push({ method: r.method, url, headers: json, body: '42', what: 'number' });
    out.push({ method: r.method, url, headers: json, body: '{"sources": [', what: 'JSON syntax error' });
    out.push({ method: r.method, url, headers: json, body: new Blob([new Uint8Array([0x7b, 0x22, 0x61, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])]), what: 'invalid UTF-8' });
    out.push({ method: r.method, url, headers: { ...key, 'content-type': 'text/plain' }, body: 'hello', what: 'text/plain' });
    out.push({ method: r.method, url, headers: { ...key, 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=b&c=d', what: 'form body' });
    out.push({ method: r.method, url, headers: { ...key, 'content-type': 'application/xml' }, body: '<a/>', what: 'xml body' });
    out.push({ method: r.method, url, headers: json, body: deep(5000), what: 'nesting 5000 deep' });
    out.push({ method: r.method, url, headers: json, body: JSON.stringify({ operationContext: BIG }), what: '64 KB operationContext' });
    out.push({ method: r.method, url, headers: { ...json, 'operation-context': 'h'.repeat(8192) }, body: '{}', what: '8 KB Operation-Context header' });
    out.push({ method: r.method, url, headers: { ...json, 'idempotency-key': 'k'.repeat(4096) }, body: '{}', what: 'long Idempotency-Key' });
    for (const [name, schema] of Object.entries(r.body?.properties ?? {})) {
      for (const v of wrongFor(schema.type)) {
        // JSON bodies are not type-coerced (src/http/validator-compiler.ts): 12345 for a string is a
        // 400 like any wrong type, also on call-ending routes (were it accepted, the live call would end).
        const what = `${name}: ${JSON.stringify(v).slice(0, 30)}`;
        out.push({ method: r.method, url, headers: json, body: JSON.stringify({ [name]: v }), what });
      }
      if (safe) out.push({ method: r.method, url, headers: json, body: JSON.stringify({ [name]: BIG }), what: `${name}: 64 KB string` });
    }
    if (safe) {
      out.push({ method: r.method, url, headers: json, body: JSON.stringify({ zzUnknownField: 1, __proto__x: { polluted: true } }), what: 'unknown fields' });
      out.push({ method: r.method, url, headers: json, body: '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}', what: 'prototype pollution' });
    }
  }
  // Routes without a documented request body (openapi: no requestBody).
  if (!r.body) for (const p of out) p.bodyless = true;
  if (Array.isArray((r.body as { type?: unknown } | undefined)?.type) && ((r.body as { type: string[] }).type).includes('null')) for (const p of out) p.nullable = true;
  return out;
}

/** What a hostile request may get: a catalogued 4xx, 501 NOT_CONFIGURED, or a documented 2xx. */
function problemWith(p: Probe, a: Answer): string | undefined {
  // A route that documents no body never reads one (POST …/api-keys, …/webhook-secrets/rotate);
  // headers only call routes read (Operation-Context, Idempotency-Key on PATCH) are ignored elsewhere.
  if (a.status >= 200 && a.status < 300 && p.bodyless) return undefined;
  if (a.status >= 200 && a.status < 300 && !p.url.startsWith('/v1/calls/') && (p.what.includes('Operation-Context header') || (p.what.includes('Idempotency-Key') && p.method === 'PATCH'))) return undefined;
  // A body documented as nullable (POST …/acs-keys: type [object, null]) may be null.
  if (a.status >= 200 && a.status < 300 && p.what === 'null' && p.nullable) return undefined;
  if (a.status >= 200 && a.status < 300) return p.what === 'no body' || p.what === 'unknown fields' || p.what === 'prototype pollution' || p.what.startsWith('garbage') || p.what.startsWith('out-of-range')
    ? undefined : `${a.status} for hostile input`;
  if (a.status === 501 && codeOf(a) === 'NOT_CONFIGURED') return undefined;
  if (a.status < 400 || a.status > 499) return `status ${a.status}: ${a.text.slice(0, 200)}`;
  const code = codeOf(a);
  if (!code || !(code in ERROR_CATALOG)) return `uncatalogued error ${a.status} ${a.text.slice(0, 200)}`;
  if (ERROR_CATALOG[code as keyof typeof ERROR_CATALOG].status !== a.status) return `${code} with status ${a.status}`;
  return undefined;
}

describe('native API under hostile input, with a live SIPp call', { skip: !haveSipp && 'sipp missing', timeout: 90_000 }, () => {
  let node: TestNode;
  let hook: WebhookReceiver;
  let botSipp: Promise<SippResult>;
  let otherSipp: Promise<SippResult>;
  let liveCall = '';
  let otherCall = '';

  const callsOf = async (key: Record<string, string>): Promise<{ id: string; state: string }[]> =>
    ((await (await fetch(`${node.http}/v1/calls?state=incoming,ringing,established`, { headers: key })).json()) as { items: { id: string; state: string }[] }).items;

  async function waitForCall(key: Record<string, string>): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const items = await callsOf(key);
      if (items[0]) return items[0].id;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('no call arrived');
  }

  async function opDone(id: string, key: Record<string, string>): Promise<{ state: string; result?: { code?: number } }> {
    for (let i = 0; i < 150; i++) {
      const op = (await (await fetch(`${node.http}/v1/operations/${id}`, { headers: key })).json()) as { state: string; result?: { code?: number } };
      if (op.state !== 'running') return op;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`operation ${id} never finished`);
  }

  async function post(path: string, key: Record<string, string>, body: unknown): Promise<{ status: number; json: { id: string } }> {
    const res = await fetch(`${node.http}${path}`, { method: 'POST', headers: { ...key, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as { id: string } };
  }

  before(async () => {
    hook = await startReceiver();
    node = await startNode({
      yaml: `
applications:
  - name: hostile-bot
    apiKeys: ["${BOT_KEY}"]
    callbackUrl: "${hook.url}"
    numbers: ["${BOT_NUMBER}"]
  - name: hostile-other
    apiKeys: ["${OTHER_KEY}"]
    callbackUrl: "${hook.url}-other"
    numbers: ["${OTHER_NUMBER}"]
`,
    });
    botSipp = runSipp({ scenario: 'hostile-uac-wait-bye.xml', target: node.sip, service: BOT_NUMBER, args: ['-mp', String(await freeUdpPort())], timeoutMs: 60_000 });
    liveCall = await waitForCall(BOT);
    otherSipp = runSipp({ scenario: 'hostile-uac-wait-bye.xml', target: node.sip, service: OTHER_NUMBER, args: ['-mp', String(await freeUdpPort())], timeoutMs: 60_000 });
    otherCall = await waitForCall(OTHER);
    for (const [id, key] of [[liveCall, BOT], [otherCall, OTHER]] as const) {
      const ans = await post(`/v1/calls/${id}/answer`, key, {});
      assert.equal(ans.status, 202, JSON.stringify(ans.json));
      assert.equal((await opDone(ans.json.id, key)).state, 'completed');
    }
  });

  after(async () => {
    await node?.stop();
    await hook?.close();
    if (node) rmSync(node.dir, { recursive: true, force: true });
  });

  test('every route answers hostile input with a catalogued 4xx; the node, the call and the outbox survive', { timeout: 80_000 }, async () => {
    const spec = (await (await fetch(`${node.http}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { requestBody?: { content?: { 'application/json'?: { schema?: Route['body'] } } } }>>;
    };
    const routes: Route[] = [];
    for (const [path, methods] of Object.entries(spec.paths)) {
      for (const [m, op] of Object.entries(methods)) {
        // The ACS face has its own test (acs-hostile-input.test.ts); its catch-alls are only listed here.
        if (path.startsWith('/calling') || path.startsWith('/.well-known')) continue;
        routes.push({ method: m.toUpperCase(), path, body: op.requestBody?.content?.['application/json']?.schema });
      }
    }
    assert.ok(routes.length > 60, `openapi lists ${routes.length} native routes`);
    const apps = (await (await fetch(`${node.http}/v1/applications`, { headers: ADMIN })).json()) as { items: { id: string; name: string }[] };
    const otherApp = apps.items.find((a) => a.name === 'hostile-other')!.id;
    const eventsBefore = hook.received.length;
    const problems: string[] = [];
    let sent = 0;
    for (const r of routes) {
      for (const p of probesFor(r, { live: liveCall, otherCall, otherApp })) {
        sent++;
        let a: Answer;
        try { a = await send(node.http, p); } catch (err) { problems.push(`${p.method} ${p.url.slice(0, 80)} [${p.what}]: no answer (${String(err)})`); continue; }
        const why = problemWith(p, a);
        if (why) problems.push(`${p.method} ${p.url.slice(0, 80)} [${p.what}]: ${why}`);
      }
    }
    // Another application's live call is 404 CALL_NOT_FOUND on every call route, never 403 or 2xx.
    for (const r of routes.filter((x) => x.path.startsWith('/v1/calls/{id}'))) {
      const url = r.path.replace('{id}', otherCall).replace(/\{[^}]+\}/g, UNKNOWN_ID);
      const a = await send(node.http, { method: r.method, url, headers: { ...BOT, ...(r.method === 'POST' ? { 'content-type': 'application/json' } : {}) }, body: r.method === 'POST' ? '{}' : undefined, what: 'other app' });
      sent++;
      if (!(a.status === 404 || (a.status === 400 && codeOf(a) === 'VALIDATION_FAILED'))) problems.push(`${r.method} ${r.path} with another application's call: ${a.status} ${a.text.slice(0, 120)}`);
      if (a.status === 404 && codeOf(a) !== 'CALL_NOT_FOUND') problems.push(`${r.method} ${r.path} with another application's call: ${codeOf(a)}`);
    }
    // Targeted: path traversal in file play sources and WebSocket URLs nobody listens on.
    for (const path of ['../../../../etc/passwd', '/etc/passwd', 'a/../../b.wav', '..\\..\\x.wav', 'x\u0000.wav']) {
      const a = await send(node.http, { method: 'POST', url: `/v1/calls/${liveCall}/play`, headers: { ...BOT, 'content-type': 'application/json' }, body: JSON.stringify({ sources: [{ kind: 'file', path }] }), what: 'traversal' });
      sent++;
      if (a.status !== 400 || codeOf(a) !== 'VALIDATION_FAILED') {
        // An accepted play must at least fail without playing the file and without hurting the call.
        const op = a.status === 202 ? await opDone((a.json as { id: string }).id, BOT) : undefined;
        problems.push(`play file ${JSON.stringify(path)}: ${a.status} ${a.text.slice(0, 120)} → operation ${JSON.stringify(op)}`);
      }
    }
    const refusePort = await freeUdpPort(); // nothing listens on this TCP port either (bound and released for UDP)
    for (const seg of ['media-streaming', 'transcription']) {
      const a = await send(node.http, { method: 'POST', url: `/v1/calls/${liveCall}/${seg}`, headers: { ...BOT, 'content-type': 'application/json' }, body: JSON.stringify({ url: `ws://127.0.0.1:${refusePort}/x` }), what: 'refusing ws' });
      sent++;
      if (a.status === 202) {
        const op = await opDone((a.json as { id: string }).id, BOT);
        if (op.state === 'completed') problems.push(`${seg} to a refusing ws:// URL succeeded`);
      } else if (problemWith({ method: 'POST', url: '', headers: {}, what: 'refusing ws' }, a)) {
        problems.push(`${seg} to a refusing ws:// URL: ${a.status} ${a.text.slice(0, 160)}`);
      }
    }
    // The routes that end or move a call, on the live call, with a wrong leg / target / state:
    // whatever they answer, the call must still be up afterwards.
    const near: [string, string, unknown][] = [
      ['POST', 'hangup', { forEveryone: false, legId: UNKNOWN_ID }], ['POST', 'hangup', { legId: UNKNOWN_ID }],
      ['POST', `participants/${UNKNOWN_ID}/remove`, {}], ['DELETE', `participants/${UNKNOWN_ID}`, undefined],
      ['POST', 'hold', { legId: UNKNOWN_ID }], ['POST', 'reject', { reason: 'busy' }], ['POST', 'redirect', { targets: [{ kind: 'phone', number: '+491' }] }],
      ['POST', 'transfer', { target: { kind: 'phone', number: 'not-a-number' } }], ['POST', 'transfer-consultative', { targetCallId: UNKNOWN_ID }],
      ['POST', 'transfer-consultative', { targetCallId: otherCall }], ['POST', 'transfer-consultative', { targetLegId: UNKNOWN_ID }],
    ];
    for (const [method, seg, body] of near) {
      const a = await send(node.http, { method, url: `/v1/calls/${liveCall}/${seg}`, headers: { ...BOT, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body), what: seg });
      sent++;
      if (a.status === 202) await opDone((a.json as { id: string }).id, BOT);
      else if (problemWith({ method, url: '', headers: {}, what: seg }, a)) problems.push(`${method} ${seg} ${JSON.stringify(body)}: ${a.status} ${a.text.slice(0, 160)}`);
      const state = ((await (await fetch(`${node.http}/v1/calls/${liveCall}`, { headers: BOT })).json()) as { state: string }).state;
      if (state !== 'established') {
        problems.push(`${method} ${seg} ${JSON.stringify(body)} (${a.status} ${a.text.slice(0, 120)}) left the live call ${state}`);
        break;
      }
    }
    // A body over the 1 MiB limit, path traversal in resource ids, and a burst of 200 garbage
    // requests at once (none may hang or take the node down).
    const extra: Probe[] = [
      { method: 'POST', url: `/v1/calls/${liveCall}/play`, headers: { ...BOT, 'content-type': 'application/json' }, body: JSON.stringify({ sources: [{ kind: 'tts', text: 'y'.repeat(2 * 1024 * 1024) }] }), what: '2 MiB body' },
      { method: 'GET', url: '/v1/recordings/..%2F..%2F..%2Fetc%2Fpasswd/content?token=x', headers: BOT, what: 'recording traversal' },
      { method: 'GET', url: '/v1/recordings/%2Fetc%2Fpasswd', headers: BOT, what: 'recording traversal' },
      { method: 'GET', url: `/v1/calls/${liveCall}/..%2F..%2Fapplications`, headers: BOT, what: 'call traversal' },
    ];
    for (const p of extra) {
      sent++;
      const a = await send(node.http, p);
      if (a.status < 400 || a.status > 499 || problemWith(p, a)) problems.push(`${p.method} ${p.url.slice(0, 80)} [${p.what}]: ${a.status} ${a.text.slice(0, 160)}`);
    }
    const burst = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => send(node.http, {
      method: 'POST', url: `/v1/calls/${i % 2 ? liveCall : UNKNOWN_ID}/${['play', 'recognize', 'send-dtmf', 'media-streaming'][i % 4]}`,
      headers: { ...BOT, 'content-type': 'application/json' }, body: i % 3 ? '{"sources": [' : JSON.stringify({ zz: i }), what: 'burst',
    })));
    sent += burst.length;
    burst.forEach((b, i) => {
      if (b.status === 'rejected') problems.push(`burst ${i}: no answer (${String(b.reason)})`);
      else if (b.value.status < 400 || b.value.status > 499) problems.push(`burst ${i}: ${b.value.status} ${b.value.text.slice(0, 120)}`);
    });
    // Headers beyond Node's 16 KB limit never reach a route: the catalogued 431, not Fastify's own shape.
    const huge = await send(node.http, { method: 'POST', url: `/v1/calls/${liveCall}/play`, headers: { ...BOT, 'content-type': 'application/json', 'operation-context': BIG }, body: '{}', what: 'huge header' });
    sent++;
    if (huge.status !== 431 || codeOf(huge) !== 'HEADERS_TOO_LARGE') problems.push(`64 KB header: ${huge.status} ${huge.text.slice(0, 160)}`);
    assert.deepEqual(problems, [], `${problems.length} of ${sent} hostile requests misbehaved`);

    // Alive, and the live call still works: a tone plays to completion.
    assert.equal((await fetch(`${node.http}/healthz`)).status, 200);
    const play = await post(`/v1/calls/${liveCall}/play`, BOT, { sources: [{ kind: 'tone', frequencies: [440], durationMs: 300 }] });
    assert.equal(play.status, 202, JSON.stringify(play.json));
    const played = await opDone(play.json.id, BOT);
    assert.equal(played.state, 'completed', JSON.stringify(played));
    // The outbox still delivers: play.completed (after the barrage) reaches the webhook.
    await hook.waitFor(eventsBefore + 1, 10_000);
    const deadline = Date.now() + 10_000;
    while (!hook.received.slice(eventsBefore).some((r) => r.body.includes('play.completed') && r.body.includes(play.json.id))) {
      assert.ok(Date.now() < deadline, `play.completed not delivered; got ${hook.received.slice(eventsBefore).map((r) => r.body.slice(0, 60)).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Both calls end cleanly: our BYE reaches SIPp, which exits 0.
    for (const [id, key] of [[liveCall, BOT], [otherCall, OTHER]] as const) {
      const h = await post(`/v1/calls/${id}/hangup`, key, { forEveryone: true });
      assert.equal(h.status, 202, JSON.stringify(h.json));
    }
    const [r1, r2] = await Promise.all([botSipp, otherSipp]);
    assert.equal(r1.code, 0, explain(r1));
    assert.equal(r2.code, 0, explain(r2));
    // The CDR of the live call was written.
    let cdrs: { items: unknown[] } = { items: [] };
    for (let i = 0; i < 50 && cdrs.items.length === 0; i++) {
      cdrs = (await (await fetch(`${node.http}/v1/cdrs?callId=${liveCall}`, { headers: BOT })).json()) as { items: unknown[] };
      if (cdrs.items.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(cdrs.items.length > 0, 'the live call has its CDR');
  });
});
