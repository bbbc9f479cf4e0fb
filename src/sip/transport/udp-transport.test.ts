import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createResponse } from '../message/index.ts';
import type { SipRequest } from '../message/index.ts';
import { TransportLayer } from './index.ts';
import type { Source } from './index.ts';
import { options, sleep, UdpPeer, within } from './test-helpers.ts';

const UDP_ONLY = { host: '127.0.0.1', udpPort: 0, tcpPort: false, wsPort: false } as const;

test('UDP: a request comes up with its source, and the top Via stamped with received and rport (RFC 3581)', async () => {
  const layer = await TransportLayer.start(UDP_ONLY);
  const peer = await UdpPeer.open();
  try {
    const got = within(new Promise<[SipRequest, Source]>((r) => layer.once('message', (m, s) => r([m as SipRequest, s]))), 1000, 'message');
    peer.send(options(), layer.ports.udp!);
    const [req, src] = await got;
    assert.equal(req.method, 'OPTIONS');
    assert.deepEqual(
      { protocol: src.protocol, address: src.address, port: src.port, localPort: src.localPort },
      { protocol: 'UDP', address: '127.0.0.1', port: peer.port, localPort: layer.ports.udp },
    );
    assert.equal(req.get('via'), `SIP/2.0/UDP client.example.com:5099;branch=z9hG4bKt1;received=127.0.0.1;rport=${peer.port}`);
    assert.equal(req.topVia?.rport, peer.port, 'the parsed view sees the new value');
    assert.equal(req.topVia?.received, '127.0.0.1');
  } finally {
    peer.close();
    await layer.close();
  }
});

test('UDP: send() delivers, and keep-alive CRLF datagrams are ignored', async () => {
  const layer = await TransportLayer.start(UDP_ONLY);
  const peer = await UdpPeer.open();
  try {
    let messages = 0;
    layer.on('message', (m, s) => {
      messages++;
      void layer.send(createResponse(m as SipRequest, 200), { protocol: 'UDP', address: s.address, port: s.port });
    });
    peer.send('\r\n\r\n', layer.ports.udp!);
    peer.send('\r\n', layer.ports.udp!);
    peer.send(options(), layer.ports.udp!);
    const res = await peer.next();
    assert.match(res, /^SIP\/2\.0 200 OK\r\n/);
    assert.equal(messages, 1);
    assert.equal(layer.stats.keepAlives, 2);
    assert.equal(layer.viaFor({ protocol: 'UDP', address: '127.0.0.1', port: 1 }).port, layer.ports.udp);
  } finally {
    peer.close();
    await layer.close();
  }
});

test('UDP: a malformed request gets 400 from the transport itself; nothing goes up', async () => {
  const layer = await TransportLayer.start(UDP_ONLY);
  const peer = await UdpPeer.open();
  try {
    let up = 0;
    const errors: Error[] = [];
    layer.on('message', () => up++);
    layer.on('parseError', (e) => errors.push(e));
    // RFC 4475 §3.1.2.1-style: a header line without a colon.
    peer.send(options().replace('Max-Forwards: 70\r\n', 'Max-Forwards 70 no colon\r\n'), layer.ports.udp!);
    const res = await peer.next();
    assert.match(res, /^SIP\/2\.0 400 /);
    assert.match(res, /\r\nCall-ID: call-/);
    assert.match(res, new RegExp(`\\r\\nVia: SIP/2.0/UDP client.example.com:5099;branch=z9hG4bKt1;received=127.0.0.1;rport=${peer.port}\\r\\n`));
    assert.match(res, /\r\nTo: <sip:svc@127.0.0.1>;tag=\w+\r\n/);
    assert.equal(up, 0);
    assert.equal(errors.length, 1);
  } finally {
    peer.close();
    await layer.close();
  }
});

test('UDP: an unsupported SIP version gets 505 (RFC 4475 §3.1.2.16)', async () => {
  const layer = await TransportLayer.start(UDP_ONLY);
  const peer = await UdpPeer.open();
  try {
    peer.send(options().replace('sip:svc@127.0.0.1 SIP/2.0', 'sip:svc@127.0.0.1 SIP/7.0'), layer.ports.udp!);
    assert.match(await peer.next(), /^SIP\/2\.0 505 /);
  } finally {
    peer.close();
    await layer.close();
  }
});

test('UDP: a broken response is dropped silently and counted', async () => {
  const layer = await TransportLayer.start(UDP_ONLY);
  const peer = await UdpPeer.open();
  try {
    let up = 0;
    let errors = 0;
    layer.on('message', () => up++);
    layer.on('parseError', () => errors++);
    peer.send('SIP/2.0 2000 Wrong\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx\r\nContent-Length: 0\r\n\r\n', layer.ports.udp!);
    peer.send('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx\r\nBroken header\r\nContent-Length: 0\r\n\r\n', layer.ports.udp!);
    peer.send(options(), layer.ports.udp!); // a good one after, to know the others were processed
    await within(new Promise<void>((r) => layer.once('message', () => r())), 1000, 'good message');
    await sleep(50);
    assert.equal(errors, 2);
    assert.equal(up, 1);
    assert.equal(peer.received.length, 0, 'no answer to broken responses');
    assert.equal(layer.stats.parseErrors, 2);
  } finally {
    peer.close();
    await layer.close();
  }
});

test('UDP: a throwing message handler is caught and counted, and the next message still flows', async () => {
  const layer = await TransportLayer.start(UDP_ONLY);
  const peer = await UdpPeer.open();
  try {
    let calls = 0;
    layer.on('message', () => {
      calls++;
      throw new Error('handler bug');
    });
    peer.send(options(), layer.ports.udp!);
    peer.send(options(), layer.ports.udp!);
    const deadline = Date.now() + 1000;
    while (calls < 2 && Date.now() < deadline) await sleep(10);
    assert.equal(calls, 2);
    assert.equal(layer.stats.handlerErrors, 2);
  } finally {
    peer.close();
    await layer.close();
  }
});

test('close() rejects later sends and is idempotent', async () => {
  const layer = await TransportLayer.start(UDP_ONLY);
  let closed = 0;
  layer.on('closed', () => closed++);
  await layer.close();
  await layer.close();
  assert.equal(closed, 1);
  const req = createResponse(
    new (await import('../message/index.ts')).SipRequest('OPTIONS', 'sip:a', [{ name: 'via', value: 'SIP/2.0/UDP x;branch=z9hG4bK1' }]),
    200,
  );
  await assert.rejects(layer.send(req, { protocol: 'UDP', address: '127.0.0.1', port: 9 }), /closed/);
});
