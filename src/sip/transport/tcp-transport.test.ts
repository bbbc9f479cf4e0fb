import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { createResponse, parseMessage, serialize, SipRequest } from '../message/index.ts';
import { TransportLayer } from './index.ts';
import type { Source, TransportLayerOptions } from './index.ts';
import { options, sleep, TcpPeer, within } from './test-helpers.ts';

const TCP_ONLY: TransportLayerOptions = { host: '127.0.0.1', udpPort: false, tcpPort: 0, wsPort: false };

function tcpOptions(extra: Partial<Parameters<typeof options>[0]> = {}): string {
  return options({ via: 'SIP/2.0/TCP client.example.com:5099;branch=z9hG4bKtcp', ...extra });
}

/** Collect 'message' events. */
function collect(layer: TransportLayer): { msgs: [SipRequest, Source][]; wait: (n: number, ms?: number) => Promise<void> } {
  const msgs: [SipRequest, Source][] = [];
  layer.on('message', (m, s) => msgs.push([m as SipRequest, s]));
  return {
    msgs,
    async wait(n, ms = 1000) {
      const deadline = Date.now() + ms;
      while (msgs.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} messages, got ${msgs.length}`);
        await sleep(5);
      }
    },
  };
}

test('TCP: two messages in one chunk and one split byte by byte all come up, in order', async () => {
  const layer = await TransportLayer.start(TCP_ONLY);
  const got = collect(layer);
  const peer = await TcpPeer.open(layer.ports.tcp!);
  try {
    peer.write(tcpOptions({ branch: 'z9hG4bK1', body: 'one' }) + tcpOptions({ branch: 'z9hG4bK2' }));
    await got.wait(2);
    const third = Buffer.from(tcpOptions({ body: 'v=0\r\n' }));
    for (let i = 0; i < third.length; i++) {
      peer.write(third.subarray(i, i + 1));
      if (i % 50 === 0) await sleep(1); // really separate segments
    }
    await got.wait(3);
    assert.equal(got.msgs[0][0].body.toString(), 'one');
    assert.equal(got.msgs[2][0].body.toString(), 'v=0\r\n');
    const src = got.msgs[0][1];
    assert.equal(src.protocol, 'TCP');
    assert.equal(src.port, peer.sock.localPort);
    assert.ok(src.connectionId);
    assert.match(got.msgs[0][0].get('via')!, /;received=127\.0\.0\.1$/);
  } finally {
    peer.destroy();
    await layer.close();
  }
});

test('TCP: CRLF keep-alives are skipped and a double-CRLF ping gets a CRLF pong (RFC 5626 §3.5.1)', async () => {
  const layer = await TransportLayer.start(TCP_ONLY);
  const got = collect(layer);
  const peer = await TcpPeer.open(layer.ports.tcp!);
  try {
    peer.write('\r\n\r\n');
    await peer.waitFor(/^\r\n$/);
    peer.write('\r\n' + tcpOptions());
    await got.wait(1);
    assert.equal(peer.data, '\r\n', 'exactly one pong, nothing else');
  } finally {
    peer.destroy();
    await layer.close();
  }
});

test('TCP: a response goes back on the connection the request came on (§18.2.2)', async () => {
  const layer = await TransportLayer.start(TCP_ONLY);
  layer.on('message', (m, s) => {
    // What the transaction layer does: connectionId plus the sent-by port, not the source port.
    void layer.send(createResponse(m as SipRequest, 200), { protocol: 'TCP', address: s.address, port: 5099, connectionId: s.connectionId });
  });
  const peer = await TcpPeer.open(layer.ports.tcp!);
  try {
    peer.write(tcpOptions());
    const res = await peer.waitFor(/\r\n\r\n$/);
    assert.match(res, /^SIP\/2\.0 200 OK\r\n/);
    assert.equal(layer.connectionCount(), 1, 'no second connection was opened');
  } finally {
    peer.destroy();
    await layer.close();
  }
});

test('TCP: send() to a TCP destination opens one connection and reuses it; the peer answers on it', async () => {
  const layer = await TransportLayer.start(TCP_ONLY);
  const got = collect(layer);
  const server = net.createServer();
  const accepted: net.Socket[] = [];
  server.on('connection', (s) => {
    accepted.push(s);
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      // Answer each complete request with a 200 on the same connection.
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        const msg = buf.slice(0, end + 4);
        buf = buf.slice(end + 4);
        const req = parseMessage(Buffer.from(msg)) as SipRequest;
        s.write(serialize(createResponse(req, 200)));
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  try {
    const via = layer.viaFor({ protocol: 'TCP', address: '127.0.0.1', port });
    assert.deepEqual(via, { host: '127.0.0.1', port: layer.ports.tcp, protocol: 'TCP' });
    for (const n of [1, 2, 3]) {
      const req = new SipRequest('OPTIONS', `sip:peer@127.0.0.1:${port}`, [
        { name: 'via', value: `SIP/2.0/TCP ${via.host}:${via.port};branch=z9hG4bKout${n}` },
        { name: 'from', value: '<sip:us@127.0.0.1>;tag=u' }, { name: 'to', value: '<sip:peer@127.0.0.1>' },
        { name: 'call-id', value: `out-${n}` }, { name: 'cseq', value: `${n} OPTIONS` }, { name: 'content-length', value: '0' },
      ]);
      await layer.send(req, { protocol: 'TCP', address: '127.0.0.1', port });
    }
    await got.wait(3);
    assert.equal(accepted.length, 1, 'one connection for three requests');
    assert.deepEqual(got.msgs.map(([m]) => (m as unknown as { status: number }).status), [200, 200, 200]);
    assert.equal(got.msgs[0][1].connectionId, got.msgs[2][1].connectionId);
  } finally {
    for (const s of accepted) s.destroy();
    server.close();
    await layer.close();
  }
});

test('TCP: negative Content-Length → 400 on the connection, then it is closed (RFC 4475 ncl)', async () => {
  const layer = await TransportLayer.start(TCP_ONLY);
  const got = collect(layer);
  const peer = await TcpPeer.open(layer.ports.tcp!);
  try {
    peer.write(tcpOptions({ cl: '-999' }) + 'trailing junk');
    await within(peer.closed, 1000, 'connection close');
    assert.match(peer.data, /^SIP\/2\.0 400 /);
    assert.match(peer.data, /\r\nCSeq: 1 OPTIONS\r\n/);
    assert.equal(got.msgs.length, 0);
  } finally {
    peer.destroy();
    await layer.close();
  }
});

test('TCP: an oversize header block closes the connection', async () => {
  const layer = await TransportLayer.start({ ...TCP_ONLY, limits: { maxMessageBytes: 2000 } });
  const peer = await TcpPeer.open(layer.ports.tcp!);
  try {
    let parseErrors = 0;
    layer.on('parseError', () => parseErrors++);
    peer.write(tcpOptions().replace('Max-Forwards: 70\r\n', `X-Pad: ${'a'.repeat(100)}\r\n`.repeat(30)));
    await within(peer.closed, 1000, 'connection close');
    assert.equal(parseErrors, 1);
  } finally {
    peer.destroy();
    await layer.close();
  }
});

test('TCP: a message that never completes is cut off after messageTimeoutMs (slow loris)', async () => {
  const layer = await TransportLayer.start({ ...TCP_ONLY, limits: { messageTimeoutMs: 300 } });
  const peer = await TcpPeer.open(layer.ports.tcp!);
  try {
    const t0 = Date.now();
    peer.write(tcpOptions({ cl: '100' })); // promises 100 body bytes, sends none (RFC 4475 clerr)
    await within(peer.closed, 2000, 'connection close');
    const took = Date.now() - t0;
    assert.ok(took >= 250 && took < 1500, `closed after ${took} ms`);
  } finally {
    peer.destroy();
    await layer.close();
  }
});

test('TCP: an idle connection is closed after idleTimeoutMs; one sending keep-alives is kept', async () => {
  const layer = await TransportLayer.start({ ...TCP_ONLY, limits: { idleTimeoutMs: 300 } });
  const idle = await TcpPeer.open(layer.ports.tcp!);
  const busy = await TcpPeer.open(layer.ports.tcp!);
  const ping = setInterval(() => busy.write('\r\n\r\n'), 80);
  try {
    await within(idle.closed, 2000, 'idle close');
    assert.equal(busy.sock.destroyed, false);
    assert.equal(layer.connectionCount(), 1);
  } finally {
    clearInterval(ping);
    idle.destroy();
    busy.destroy();
    await layer.close();
  }
});

test('TCP: more connections than maxConnectionsPerSource from one IP are refused; another IP is not affected', async () => {
  const layer = await TransportLayer.start({ ...TCP_ONLY, limits: { maxConnectionsPerSource: 3 } });
  const rejected: string[] = [];
  layer.on('connectionRejected', (a) => rejected.push(a));
  const peers: TcpPeer[] = [];
  try {
    for (let i = 0; i < 3; i++) peers.push(await TcpPeer.open(layer.ports.tcp!));
    const fourth = await TcpPeer.open(layer.ports.tcp!);
    peers.push(fourth);
    await within(fourth.closed, 1000, 'refused connection closed');
    assert.deepEqual(rejected, ['127.0.0.1']);
    const other = await TcpPeer.open(layer.ports.tcp!, '127.0.0.2');
    peers.push(other);
    const got = collect(layer);
    other.write(tcpOptions());
    await got.wait(1);
    assert.equal(got.msgs[0][1].address, '127.0.0.2');
    // Closing one frees a slot.
    peers[0].destroy();
    await sleep(50);
    const again = await TcpPeer.open(layer.ports.tcp!);
    peers.push(again);
    again.write(tcpOptions());
    await got.wait(2);
  } finally {
    for (const p of peers) p.destroy();
    await layer.close();
  }
});

test('TCP: if the request\'s connection is gone, the response opens a new one to the destination (§18.2.2)', async () => {
  const layer = await TransportLayer.start(TCP_ONLY);
  const listener = net.createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const sentByPort = (listener.address() as net.AddressInfo).port;
  const accepted = new Promise<string>((resolve) => {
    listener.on('connection', (s) => {
      let d = '';
      s.on('data', (b) => {
        d += b.toString();
        if (d.endsWith('\r\n\r\n')) {
          resolve(d);
          s.destroy();
        }
      });
    });
  });
  const peer = await TcpPeer.open(layer.ports.tcp!);
  try {
    const [req, src] = await within(new Promise<[SipRequest, Source]>((r) => {
      layer.once('message', (m, s) => r([m as SipRequest, s]));
      peer.write(tcpOptions({ via: `SIP/2.0/TCP 127.0.0.1:${sentByPort};branch=z9hG4bKgone` }));
    }), 1000, 'request');
    peer.destroy();
    await peer.closed;
    await sleep(20);
    await layer.send(createResponse(req, 200), { protocol: 'TCP', address: src.address, port: sentByPort, connectionId: src.connectionId });
    assert.match(await within(accepted, 1000, 'response on a new connection'), /^SIP\/2\.0 200 OK\r\n/);
  } finally {
    peer.destroy();
    listener.close();
    await layer.close();
  }
});

test('TCP: send() to an unreachable peer rejects', async () => {
  const layer = await TransportLayer.start(TCP_ONLY);
  const probe = net.createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r)); // nothing listens there now
  try {
    const req = new SipRequest('OPTIONS', 'sip:x@127.0.0.1', [{ name: 'via', value: 'SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKx' }]);
    await assert.rejects(layer.send(req, { protocol: 'TCP', address: '127.0.0.1', port }));
    assert.equal(layer.connectionCount(), 0);
  } finally {
    await layer.close();
  }
});
