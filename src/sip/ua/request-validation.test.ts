// How the UA answers requests it cannot take, in the RFC 3261 §8.2 order, with the RFC 4475
// torture cases it names (unkscm, bext01, invut, sdp01): 405, 416, 420, 415, 406, 482, 481,
// 422 (RFC 4028), 404 from the isLocalDomain hook, MESSAGE and authentication.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SipResponse } from '../message/index.ts';
import { buildResponse } from './response-builder.ts';
import { TestNetwork } from './test-network.ts';

let seq = 0;
function request(method: string, opts: { uri?: string; headers?: string[]; body?: string; toTag?: string; branch?: string; callId?: string; cseq?: number } = {}): string {
  seq++;
  const body = opts.body ?? '';
  return [
    `${method} ${opts.uri ?? 'sip:bob@10.0.0.2'} SIP/2.0`,
    `Via: SIP/2.0/UDP 10.0.0.9:5060;branch=${opts.branch ?? `z9hG4bKtest${seq}`}`,
    'Max-Forwards: 70',
    `From: <sip:tester@10.0.0.9>;tag=ft${seq}`,
    `To: <sip:bob@10.0.0.2>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    `Call-ID: ${opts.callId ?? `call-${seq}@10.0.0.9`}`,
    `CSeq: ${opts.cseq ?? 1} ${method}`,
    'Contact: <sip:tester@10.0.0.9:5060>',
    ...(opts.headers ?? []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

const SDP = 'v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

async function answerTo(net: TestNetwork, raw: string): Promise<SipResponse> {
  const before = net.wire.length;
  net.inject('10.0.0.2', raw);
  await net.settle();
  const finals = net.wire.slice(before).map((w) => w.msg).filter((m): m is SipResponse => !m.isRequest() && (m as SipResponse).status >= 200);
  assert.ok(finals.length > 0, 'a final response was sent');
  return finals[0];
}

describe('request validation order (RFC 3261 §8.2)', () => {
  it('405 with Allow for a method we do not implement', async () => {
    const net = new TestNetwork();
    net.node('10.0.0.2');
    const res = await answerTo(net, request('SUBSCRIBE', { headers: ['Event: presence'] }));
    assert.equal(res.status, 405);
    assert.ok(res.tokens('allow').includes('invite'));
    assert.ok(!res.tokens('allow').includes('register'), 'REGISTER is not allowed without a registrar');
  });

  it('REGISTER without a registrar gets 405', async () => {
    const net = new TestNetwork();
    net.node('10.0.0.2');
    assert.equal((await answerTo(net, request('REGISTER', { uri: 'sip:10.0.0.2' }))).status, 405);
  });

  it('416 for an unknown Request-URI scheme (RFC 4475 unkscm), before 420', async () => {
    const net = new TestNetwork();
    net.node('10.0.0.2');
    const res = await answerTo(net, request('OPTIONS', { uri: 'nobodyknowsthisscheme:totallyopaquecontent', headers: ['Require: nothingSupportedHere'] }));
    assert.equal(res.status, 416);
  });

  it('420 with Unsupported listing unknown Require and Proxy-Require tags (RFC 4475 bext01)', async () => {
    const net = new TestNetwork();
    net.node('10.0.0.2');
    const res = await answerTo(net, request('OPTIONS', { headers: ['Require: nothingSupportedHere', 'Proxy-Require: noProxiesSupportThis, 100rel'] }));
    assert.equal(res.status, 420);
    assert.deepEqual(res.tokens('unsupported'), ['nothingsupportedhere', 'noproxiessupportthis']);
  });

  it('415 with Accept for an INVITE body that is not SDP (RFC 4475 invut)', async () => {
    const net = new TestNetwork();
    net.node('10.0.0.2').on('invite', () => assert.fail('must not reach the application'));
    const res = await answerTo(net, request('INVITE', { headers: ['Content-Type: application/unknownformat'], body: '<audio> <pcmu port="443"/> </audio>' }));
    assert.equal(res.status, 415);
    assert.match(res.get('accept') ?? '', /application\/sdp/);
  });

  it('a multipart INVITE body with an SDP part is accepted', async () => {
    const net = new TestNetwork();
    let offered = '';
    net.node('10.0.0.2').on('invite', (s) => { offered = s.offer?.contentType ?? ''; s.reject(486); });
    const body = `--b1\r\nContent-Type: application/sdp\r\n\r\n${SDP}\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1--\r\n`;
    const res = await answerTo(net, request('INVITE', { headers: ['Content-Type: multipart/mixed;boundary=b1'], body }));
    assert.equal(res.status, 486);
    assert.match(offered, /multipart\/mixed/);
  });

  it('406 when Accept excludes SDP (RFC 4475 sdp01)', async () => {
    const net = new TestNetwork();
    net.node('10.0.0.2');
    const res = await answerTo(net, request('INVITE', { headers: ['Accept: text/nobodyKnowsThis', 'Content-Type: application/sdp'], body: SDP }));
    assert.equal(res.status, 406);
  });

  it('422 with Min-SE for a Session-Expires below our minimum (RFC 4028 §8.1)', async () => {
    const net = new TestNetwork();
    net.node('10.0.0.2');
    const res = await answerTo(net, request('INVITE', { headers: ['Session-Expires: 30', 'Supported: timer', 'Content-Type: application/sdp'], body: SDP }));
    assert.equal(res.status, 422);
    assert.equal(res.get('min-se'), '90');
  });

  it('481 for an in-dialog request of an unknown dialog', async () => {
    const net = new TestNetwork();
    net.node('10.0.0.2');
    assert.equal((await answerTo(net, request('BYE', { toTag: 'nosuchtag' }))).status, 481);
    assert.equal((await answerTo(net, request('INFO', {}))).status, 481, 'INFO outside a dialog');
  });

  it('482 for a merged request: same From tag, Call-ID and CSeq, another branch (§8.2.2.2)', async () => {
    const net = new TestNetwork();
    net.node('10.0.0.2').on('invite', (s) => s.progress(180));
    const a = request('INVITE', { callId: 'merged@x', branch: 'z9hG4bKone', headers: ['Content-Type: application/sdp'], body: SDP });
    net.inject('10.0.0.2', a);
    await net.settle();
    const b = a.replace('z9hG4bKone', 'z9hG4bKtwo');
    assert.equal((await answerTo(net, b)).status, 482);
  });

  it('404 when isLocalDomain says the Request-URI is not ours', async () => {
    const net = new TestNetwork();
    net.node('10.0.0.2', { isLocalDomain: (u) => u.host === 'example.com' });
    assert.equal((await answerTo(net, request('OPTIONS', { uri: 'sip:bob@elsewhere.org' }))).status, 404);
  });

  it('Max-Forwards: 0 is processed normally by an endpoint (RFC 4475 zeromf)', async () => {
    const net = new TestNetwork();
    net.node('10.0.0.2');
    const res = await answerTo(net, request('OPTIONS', { headers: [] }).replace('Max-Forwards: 70', 'Max-Forwards: 0'));
    assert.equal(res.status, 200);
  });

  it('MESSAGE is refused without an authenticate hook, delivered when the hook vouches', async () => {
    const net = new TestNetwork();
    net.node('10.0.0.2');
    assert.equal((await answerTo(net, request('MESSAGE', { headers: ['Content-Type: text/plain'], body: 'hi' }))).status, 403);

    const net2 = new TestNetwork();
    const got: string[] = [];
    const ua = net2.node('10.0.0.2', { authenticate: async () => ({ ok: true, identity: 'tester' }) });
    ua.on('message', (m) => got.push(`${m.identity}:${m.body.toString()}`));
    assert.equal((await answerTo(net2, request('MESSAGE', { headers: ['Content-Type: text/plain'], body: 'hi' }))).status, 200);
    assert.deepEqual(got, ['tester:hi']);
  });

  it('an INVITE the authenticate hook refuses gets the hook response and never reaches the app', async () => {
    const net = new TestNetwork();
    const ua = net.node('10.0.0.2', {
      authenticate: async (req) => ({ ok: false, response: buildResponse(req, 407, undefined, { toTag: 'x', headers: [['proxy-authenticate', 'Digest realm="x", nonce="n"']] }) }),
    });
    ua.on('invite', () => assert.fail('must not reach the application'));
    const res = await answerTo(net, request('INVITE', { headers: ['Content-Type: application/sdp'], body: SDP }));
    assert.equal(res.status, 407);
  });

  it('an OPTIONS from a source the hook refuses is challenged (401); one it vouches for gets 200', async () => {
    const asked: string[] = [];
    const challenge = (req: import('../message/index.ts').SipRequest) => buildResponse(req, 401, undefined, { toTag: 'x', headers: [['www-authenticate', 'Digest realm="x", nonce="n"']] });
    const net = new TestNetwork();
    net.node('10.0.0.2', {
      authenticateMethods: ['INVITE', 'OPTIONS'],
      authenticate: async (req) => { asked.push(req.method); return { ok: false, response: challenge(req) }; },
    });
    const res = await answerTo(net, request('OPTIONS'));
    assert.equal(res.status, 401);
    assert.match(res.get('www-authenticate') ?? '', /Digest/);
    assert.deepEqual(asked, ['OPTIONS']);

    const net2 = new TestNetwork();
    net2.node('10.0.0.2', { authenticateMethods: ['OPTIONS'], authenticate: async () => ({ ok: true }) });
    assert.equal((await answerTo(net2, request('OPTIONS'))).status, 200);
  });

  it('methods outside authenticateMethods, and in-dialog requests, are not put to the hook', async () => {
    const asked: string[] = [];
    const net = new TestNetwork();
    net.node('10.0.0.2', {
      authenticateMethods: ['INVITE', 'NOTIFY'],
      authenticate: async (req) => { asked.push(req.method); return { ok: false, response: buildResponse(req, 401, undefined, { toTag: 'x' }) }; },
    });
    assert.equal((await answerTo(net, request('OPTIONS'))).status, 200);
    // An out-of-dialog NOTIFY is challenged before it would get 481 …
    assert.equal((await answerTo(net, request('NOTIFY', { headers: ['Event: refer', 'Subscription-State: active'] }))).status, 401);
    // … an in-dialog one (To tag) is routed to its dialog (none here → 481) without the hook.
    assert.equal((await answerTo(net, request('NOTIFY', { toTag: 'nodialog', headers: ['Event: refer', 'Subscription-State: active'] }))).status, 481);
    assert.deepEqual(asked, ['NOTIFY']);
  });
});
