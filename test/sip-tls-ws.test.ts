// SIP over TLS (RFC 3261 §26.2.1) and over WebSocket (RFC 7118) against a live node: SIPp
// places calls over TLS to sip:answer@ (skipped when the installed SIPp is built without
// OpenSSL, as Debian's sip-tester is), and hand-written peers send OPTIONS and INVITE/ACK/BYE
// over WS and TLS. Those peers are EMULATIONS built from text messages (as a browser SIP stack
// or a phone would send them), not real clients; Chromium-based WebRTC tests come with the
// WebRTC work.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import tls from 'node:tls';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { explain, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';

const available = sippAvailable();
/** Debian's sip-tester is built without OpenSSL: `-t l1` then exits at once saying so. */
const sippTls = available && !/compile SIPp with OpenSSL/.test(
  spawnSync('sipp', ['-t', 'l1', '-m', '0', '-nostdin', '127.0.0.1:9'], { encoding: 'utf8', timeout: 5000 }).stderr ?? '',
);
if (!available && process.env.CI === 'true') throw new Error('sipp is not installed (apt package sip-tester); .ci/run must install it');

/** A throw-away self-signed certificate and key (PEM files) in dir. */
function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}-cert.pem`);
  const key = join(dir, `${name}-key.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-days', '1',
    '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

let dir = '';
let serverCert = '';
let node: TestNode;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-tls-'));
  const server = selfSigned(dir, 'localhost');
  serverCert = server.cert;
  node = await startNode({ yaml: `sip:\n  tls:\n    port: 0\n    cert: ${server.cert}\n    key: ${server.key}\n` });
});
after(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('SIP over TLS against SIPp', { skip: (!available && 'sipp not installed') || (!sippTls && 'this SIPp build has no TLS (Debian sip-tester is built without OpenSSL)') }, () => {
  test('INVITE/200/ACK/BYE to sip:answer@ over TLS (3 calls)', async () => {
    assert.ok(node.ports.tls, 'the node listens for TLS');
    // SIPp's TLS mode insists on a certificate of its own even as a client.
    const own = selfSigned(dir, 'sipp');
    const r = await runSipp({
      scenario: 'uac-invite-bye.xml', target: `127.0.0.1:${node.ports.tls}`, transport: 'l1', calls: 3, rate: 10,
      args: ['-tls_cert', own.cert, '-tls_key', own.key],
    });
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.successful, 3);
    assert.match(r.messages, /Via: SIP\/2.0\/TLS/);
  });
});

/** A hand-driven SIP peer over a WebSocket or a TLS stream, collecting what it receives. */
class Peer {
  readonly received: string[] = [];
  private waiters: Array<() => void> = [];
  private constructor(private readonly out: (msg: string) => void, private readonly end: () => void) {}

  private push(msg: string): void {
    this.received.push(msg);
    for (const w of this.waiters.splice(0)) w();
  }

  /** WebSocket: one SIP message per text frame (RFC 7118 §5). */
  static async ws(url: string): Promise<Peer> {
    const ws = new WebSocket(url, 'sip');
    await new Promise<void>((res, rej) => { ws.once('open', () => res()); ws.once('error', rej); });
    assert.equal(ws.protocol, 'sip', 'the server agreed on the sip subprotocol (RFC 7118 §4)');
    const peer = new Peer((m) => ws.send(m), () => ws.close());
    ws.on('message', (data) => peer.push(data.toString()));
    return peer;
  }

  /** TLS: a byte stream, messages framed by Content-Length (RFC 3261 §18.3). */
  static async tls(port: number, ca: Buffer): Promise<Peer> {
    const sock = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
    await new Promise<void>((res, rej) => { sock.once('secureConnect', () => res()); sock.once('error', rej); });
    const peer = new Peer((m) => sock.write(m), () => sock.destroy());
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      for (;;) {
        const headEnd = buf.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const len = Number(/^Content-Length: *(\d+)/mi.exec(buf.slice(0, headEnd))?.[1] ?? 0);
        if (buf.length < headEnd + 4 + len) return;
        peer.push(buf.slice(0, headEnd + 4 + len));
        buf = buf.slice(headEnd + 4 + len);
      }
    });
    return peer;
  }

  send(msg: string): void {
    this.out(msg);
  }

  /** The first received message matching re, waiting up to ms. */
  async expect(re: RegExp, ms = 3000): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const hit = this.received.find((m) => re.test(m));
      if (hit) return hit;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no message matching ${re} within ${ms} ms; got:\n${this.received.join('\n----\n')}`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiters.push(() => { clearTimeout(t); res(); });
      });
    }
  }

  close(): void {
    this.end();
  }
}

const header = (msg: string, name: string) => new RegExp(`^${name}: *(.*)$`, 'mi').exec(msg)?.[1]?.trim();

function sipRequest(method: string, uri: string, o: { callId: string; cseq: number; branch: string; toTag?: string; body?: string; transport?: 'WS' | 'TLS' }): string {
  const t = o.transport ?? 'WS';
  const body = o.body ?? '';
  return [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/${t} peer.invalid;branch=${o.branch}`,
    'Max-Forwards: 70',
    'From: <sip:wsuser@example.invalid>;tag=wsft1',
    `To: <sip:answer@127.0.0.1>${o.toTag ? `;tag=${o.toTag}` : ''}`,
    `Call-ID: ${o.callId}`,
    `CSeq: ${o.cseq} ${method}`,
    `Contact: <sip:wsuser@peer.invalid;transport=${t.toLowerCase()}>`,
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

const OFFER = [
  'v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
  'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', '',
].join('\r\n');

describe('SIP over WebSocket (peer emulation)', () => {
  test('OPTIONS over WS gets 200 with Allow', async () => {
    assert.ok(node.ports.ws, 'the node listens for WebSocket');
    const peer = await Peer.ws(`ws://127.0.0.1:${node.ports.ws}`);
    try {
      peer.send(sipRequest('OPTIONS', 'sip:answer@127.0.0.1', { callId: 'ws-opt-1', cseq: 1, branch: 'z9hG4bKwsopt1' }));
      const res = await peer.expect(/^SIP\/2.0 \d{3}/);
      assert.match(res, /^SIP\/2.0 200/);
      assert.match(header(res, 'Allow') ?? '', /INVITE/);
      assert.match(header(res, 'Via') ?? '', /^SIP\/2.0\/WS peer\.invalid;branch=z9hG4bKwsopt1/);
    } finally {
      peer.close();
    }
  });

  test('INVITE/200/ACK/BYE to sip:answer@ over WS', async () => {
    const peer = await Peer.ws(`ws://127.0.0.1:${node.ports.ws}`);
    try {
      await callFlow(peer, 'WS', 'ws-call-1');
    } finally {
      peer.close();
    }
  });
});

describe('SIP over TLS (peer emulation: node:tls, certificate checked)', () => {
  test('INVITE/200/ACK/BYE to sip:answer@ over TLS', async () => {
    assert.ok(node.ports.tls, 'the node listens for TLS');
    const peer = await Peer.tls(node.ports.tls, readFileSync(serverCert));
    try {
      await callFlow(peer, 'TLS', 'tls-call-1');
    } finally {
      peer.close();
    }
  });
});

/** A whole call from the peer's side: INVITE with an offer, 200 with an answer, ACK, BYE, 200; no dialog left. */
async function callFlow(peer: Peer, transport: 'WS' | 'TLS', callId: string): Promise<void> {
  const b = callId.replace(/\W/g, '');
  peer.send(sipRequest('INVITE', 'sip:answer@127.0.0.1', { callId, cseq: 1, branch: `z9hG4bK${b}inv`, body: OFFER, transport }));
  const ok = await peer.expect(/^SIP\/2.0 200[^]*CSeq: *1 INVITE/mi);
  const toTag = /;tag=([^;\s>]+)/.exec(header(ok, 'To') ?? '')?.[1];
  assert.ok(toTag, 'the 200 carries a To tag');
  assert.match(ok, /\r\n\r\nv=0/, 'the 200 carries an SDP answer');
  const target = /<([^>]+)>/.exec(header(ok, 'Contact') ?? '')?.[1];
  assert.ok(target, 'the 200 has a Contact');
  // §13.2.2.4: the ACK and later requests go to the remote target from the Contact.
  peer.send(sipRequest('ACK', target, { callId, cseq: 1, branch: `z9hG4bK${b}ack`, toTag, transport }));
  await new Promise((r) => setTimeout(r, 100));
  peer.send(sipRequest('BYE', target, { callId, cseq: 2, branch: `z9hG4bK${b}bye`, toTag, transport }));
  const byeOk = await peer.expect(/^SIP\/2.0 \d{3}[^]*CSeq: *2 BYE/mi);
  assert.match(byeOk, /^SIP\/2.0 200/);
  const ua = (node.server.service('sip') as unknown as { ua: { stats(): { dialogs: number } } }).ua;
  assert.equal(ua.stats().dialogs, 0);
}
