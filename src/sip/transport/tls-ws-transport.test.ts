import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import type { ClientOptions } from 'ws';
import { createResponse } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import { TransportLayer } from './index.ts';
import type { Source } from './index.ts';
import { options, within } from './test-helpers.ts';

let dir = '';
let key: Buffer;
let cert: Buffer;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sip-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
    '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
  key = readFileSync(join(dir, 'k.pem'));
  cert = readFileSync(join(dir, 'c.pem'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Answer every request with 200 back where it came from. */
function echo200(layer: TransportLayer): void {
  layer.on('message', (m, s: Source) => {
    if (!m.isRequest()) return;
    void layer.send(createResponse(m, 200), { protocol: s.protocol, address: s.address, port: s.port, connectionId: s.connectionId });
  });
}

test('TLS: request in over TLS, 200 back on the same TLS connection', async () => {
  const layer = await TransportLayer.start({ host: '127.0.0.1', udpPort: false, tcpPort: false, wsPort: false, tlsPort: 0, wssPort: false, tls: { key, cert } });
  echo200(layer);
  const sock = tls.connect({ host: '127.0.0.1', port: layer.ports.tls!, ca: cert, servername: 'localhost' });
  try {
    await once(sock, 'secureConnect');
    let data = '';
    sock.on('data', (d) => (data += d.toString()));
    sock.write(options({ via: 'SIP/2.0/TLS client.invalid;branch=z9hG4bKtls' }));
    await within(new Promise<void>((r) => sock.on('data', () => data.endsWith('\r\n\r\n') && r())), 2000, 'TLS response');
    assert.match(data, /^SIP\/2\.0 200 OK\r\nVia: SIP\/2\.0\/TLS client\.invalid;branch=z9hG4bKtls;received=127\.0\.0\.1\r\n/);
  } finally {
    sock.destroy();
    await layer.close();
  }
});

test('TLS: send() connects out over TLS (certificate checked against the given CA) and reuses it', async () => {
  const server = await TransportLayer.start({ host: '127.0.0.1', udpPort: false, tcpPort: false, wsPort: false, tlsPort: 0, wssPort: false, tls: { key, cert } });
  echo200(server);
  const client = await TransportLayer.start({ host: '127.0.0.1', udpPort: false, tcpPort: false, wsPort: false, tls: { key, cert, ca: cert }, tlsPort: 0, wssPort: false });
  const responses: SipResponse[] = [];
  client.on('message', (m) => responses.push(m as SipResponse));
  try {
    const via = client.viaFor({ protocol: 'TLS', address: 'localhost', port: server.ports.tls! });
    for (const n of [1, 2]) {
      const req = (await import('../message/index.ts')).parseMessage(
        Buffer.from(options({ via: `SIP/2.0/TLS ${via.host}:${via.port};branch=z9hG4bKc${n}` })),
      ) as SipRequest;
      await client.send(req, { protocol: 'TLS', address: 'localhost', port: server.ports.tls! });
    }
    const deadline = Date.now() + 2000;
    while (responses.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(responses.map((r) => r.status), [200, 200]);
    assert.equal(client.connectionCount(), 1);
  } finally {
    await client.close();
    await server.close();
  }
});

test('WS: a ws client with subprotocol sip round-trips; one message per frame; Via WS stamped', async () => {
  const layer = await TransportLayer.start({ host: '127.0.0.1', udpPort: false, tcpPort: false, wsPort: 0 });
  const seen: Source[] = [];
  layer.on('message', (_m, s) => seen.push(s));
  echo200(layer);
  const ws = new WebSocket(`ws://127.0.0.1:${layer.ports.ws}`, 'sip');
  try {
    await within(once(ws, 'open'), 1000, 'ws open');
    assert.equal(ws.protocol, 'sip');
    const reply = within(once(ws, 'message') as Promise<[Buffer]>, 1000, 'ws reply');
    // No Content-Length needed on WebSocket (RFC 7118 §5).
    ws.send(options({ via: 'SIP/2.0/WS df7jal23ls0d.invalid;rport;branch=z9hG4bKws' }).replace('Content-Length: 0\r\n', ''));
    const [data] = await reply;
    const text = data.toString();
    assert.match(text, /^SIP\/2\.0 200 OK\r\n/);
    assert.match(text, /Via: SIP\/2\.0\/WS df7jal23ls0d\.invalid;branch=z9hG4bKws;received=127\.0\.0\.1;rport=\d+\r\n/);
    assert.equal(seen[0].protocol, 'WS');
    assert.ok(seen[0].connectionId?.startsWith('ws-'));
  } finally {
    ws.terminate();
    await layer.close();
  }
});

test('WS: a handshake without the sip subprotocol is refused (RFC 7118 §4.1)', async () => {
  const layer = await TransportLayer.start({ host: '127.0.0.1', udpPort: false, tcpPort: false, wsPort: 0 });
  try {
    for (const protocols of [[], ['chat']]) {
      const ws = new WebSocket(`ws://127.0.0.1:${layer.ports.ws}`, protocols);
      ws.on('error', () => {});
      const [, res] = (await within(once(ws, 'unexpected-response'), 1000, 'refusal')) as [unknown, { statusCode: number }];
      assert.equal(res.statusCode, 400);
      ws.terminate();
    }
    assert.equal(layer.connectionCount(), 0);
  } finally {
    await layer.close();
  }
});

test('WSS: secure WebSocket round trip', async () => {
  const layer = await TransportLayer.start({ host: '127.0.0.1', udpPort: false, tcpPort: false, wsPort: false, tls: { key, cert }, tlsPort: false, wssPort: 0 });
  echo200(layer);
  const ws = new WebSocket(`wss://127.0.0.1:${layer.ports.wss}`, 'sip', { ca: cert, servername: 'localhost' } as ClientOptions); // servername passes through to tls.connect
  try {
    await within(once(ws, 'open'), 2000, 'wss open');
    const reply = within(once(ws, 'message') as Promise<[Buffer]>, 1000, 'wss reply');
    ws.send(options({ via: 'SIP/2.0/WSS h.invalid;branch=z9hG4bKwss' }));
    assert.match((await reply)[0].toString(), /^SIP\/2\.0 200 OK\r\n/);
  } finally {
    ws.terminate();
    await layer.close();
  }
});

test('WS: the per-source connection limit applies to WebSocket too', async () => {
  const layer = await TransportLayer.start({ host: '127.0.0.1', udpPort: false, tcpPort: false, wsPort: 0, limits: { maxConnectionsPerSource: 2 } });
  const sockets: WebSocket[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${layer.ports.ws}`, 'sip');
      sockets.push(ws);
      await within(once(ws, 'open'), 1000, 'ws open');
    }
    const third = new WebSocket(`ws://127.0.0.1:${layer.ports.ws}`, 'sip');
    sockets.push(third);
    third.on('error', () => {});
    await within(new Promise((r) => third.on('close', r)), 1000, 'refused ws closed');
    assert.equal(layer.stats.connectionsRejected, 1);
    assert.equal(layer.connectionCount(), 2);
  } finally {
    for (const s of sockets) s.terminate();
    await layer.close();
  }
});

test('close() does not wait for a TLS handshake that never happens', async () => {
  const layer = await TransportLayer.start({ host: '127.0.0.1', udpPort: false, tcpPort: false, wsPort: false, tlsPort: 0, wssPort: false, tls: { key, cert } });
  const net = await import('node:net');
  const raw = net.connect({ host: '127.0.0.1', port: layer.ports.tls! });
  raw.on('error', () => {});
  await once(raw, 'connect');
  await new Promise((r) => setTimeout(r, 20));
  const t0 = Date.now();
  await within(layer.close(), 1000, 'close');
  assert.ok(Date.now() - t0 < 1000);
  raw.destroy();
});
