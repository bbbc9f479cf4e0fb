// The WebSocket MediaStreamer against a real `ws` server on loopback: the first message, audio
// out, audio and stopAudio in, the peer closing, a refused connect; headers from the framer.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { StreamConnectRequest, StreamConnection, StreamConnectionEvents } from '../../core/index.ts';
import { bufferToPcm, pcmToBuffer, type StreamFramer } from './framer.ts';
import { createMediaStreamer } from './media-streamer.ts';

/** A minimal framer: JSON text out, binary PCM in, 'stop' text = stopAudio. */
const testFramer: StreamFramer = {
  name: 'test',
  headers: (req) => ({ 'x-call': req.callId }),
  open: (req, sub) => [JSON.stringify({ hello: req.callId, sub })],
  audio: (_r, f) => JSON.stringify({ n: f.samples.length, first: f.samples[0] }),
  dtmf: (_r, d) => JSON.stringify({ digit: d }),
  transcript: () => null,
  parse: (data) => (Buffer.isBuffer(data) ? { kind: 'audio', samples: bufferToPcm(data) } : data === 'stop' ? { kind: 'stopAudio' } : null),
};

async function server(): Promise<{ wss: WebSocketServer; url: string; next: () => Promise<{ ws: WebSocket; headers: Record<string, unknown>; messages: string[] }> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/media`;
  return {
    wss, url,
    next: async () => {
      const [ws, req] = await once(wss, 'connection') as [WebSocket, { headers: Record<string, unknown> }];
      const messages: string[] = [];
      ws.on('message', (d) => messages.push(String(d)));
      return { ws, headers: req.headers, messages };
    },
  };
}

const req = (url: string): StreamConnectRequest => ({
  url, format: 'test', content: 'audio', callId: 'c1', applicationId: 'a1', audio: { rate: 16000, channels: 'mixed', bidirectional: true, dtmf: true },
});

/** The next `event` of a stream connection (a TypedEmitter, not an EventEmitter for node:events once). */
function nextOf<K extends keyof StreamConnectionEvents>(conn: StreamConnection, event: K): Promise<StreamConnectionEvents[K]> {
  return new Promise((resolve) => conn.once(event, ((...args: StreamConnectionEvents[K]) => resolve(args)) as never));
}

const until = async (pred: () => boolean, ms = 2000): Promise<void> => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('createMediaStreamer over ws', () => {
  test('connects with the framer headers, sends its first message, audio and digits; audio and stopAudio come back', async () => {
    const s = await server();
    try {
      const streamer = createMediaStreamer({ framers: [testFramer] });
      const accepted = s.next();
      const conn = await streamer.connect({ ...req(s.url), meta: { subscriptionId: 'sub-9' } });
      const peer = await accepted;
      assert.equal(peer.headers['x-call'], 'c1');
      conn.sendAudio({ samples: new Int16Array(320).fill(42), timestampMs: 0, silent: false });
      conn.sendDtmf('7');
      await until(() => peer.messages.length >= 3);
      assert.deepEqual(peer.messages.map((m) => JSON.parse(m)), [{ hello: 'c1', sub: 'sub-9' }, { n: 320, first: 42 }, { digit: '7' }]);
      const audio = nextOf(conn, 'audio');
      peer.ws.send(pcmToBuffer(new Int16Array([5, -6, 7])));
      assert.deepEqual([...(await audio)[0].samples], [5, -6, 7]);
      const stop = nextOf(conn, 'stopAudio');
      peer.ws.send('stop');
      await stop;
      peer.ws.send('nonsense');
      const closed = nextOf(conn, 'closed');
      peer.ws.close();
      assert.deepEqual((await closed)[0], { reason: 'peer' });
      conn.sendAudio({ samples: new Int16Array(320), timestampMs: 0, silent: true }); // a no-op now
      assert.equal(conn.dropped, 0);
    } finally {
      s.wss.close();
    }
  });

  test('close() ends it with reason closed, exactly once', async () => {
    const s = await server();
    try {
      const accepted = s.next();
      const conn = await createMediaStreamer({ framers: [testFramer] }).connect(req(s.url));
      const peer = await accepted;
      const reasons: string[] = [];
      conn.on('closed', (c) => reasons.push(c.reason));
      const peerClosed = once(peer.ws, 'close');
      await conn.close();
      await conn.close();
      const [code] = await peerClosed;
      assert.equal(code, 1000, 'normal closure (RFC 6455 §7.4.1)');
      assert.deepEqual(reasons, ['closed']);
    } finally {
      s.wss.close();
    }
  });

  test('connect rejects: nobody listening, handshake refused, unknown format', async () => {
    const s = await server();
    const dead = s.url;
    s.wss.close();
    await once(s.wss, 'close');
    const streamer = createMediaStreamer({ framers: [testFramer], connectTimeoutMs: 2000 });
    await assert.rejects(streamer.connect(req(dead)), /ECONNREFUSED/);
    await assert.rejects(streamer.connect({ ...req(dead), format: 'nope' }), /no stream framer for format 'nope'/);
    const s2 = await server();
    s2.wss.options.verifyClient = () => false;
    try {
      await assert.rejects(streamer.connect(req(s2.url)), /401|handshake/);
    } finally {
      s2.wss.close();
    }
  });

  test('a consumer that stops reading: audio is shed (oldest first), counted, reported once at the end', async () => {
    const s = await server();
    try {
      const reported: number[] = [];
      const accepted = s.next();
      const bulky: StreamFramer = { ...testFramer, audio: (_r, f) => 'x'.repeat(4000) + String(f.timestampMs) };
      const conn = await createMediaStreamer({ framers: [bulky], onDropped: (n) => reported.push(n) }).connect({ ...req(s.url), format: 'test' });
      const peer = await accepted;
      (peer.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      // 20,000 frames (≈ 80 MB) offered far faster than real time to a socket nobody reads.
      for (let i = 0; i < 20_000; i++) {
        conn.sendAudio({ samples: new Int16Array(320), timestampMs: i, silent: false });
        if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
      }
      assert.ok(conn.dropped > 10_000, `shed ${conn.dropped}`);
      const closed = nextOf(conn, 'closed');
      peer.ws.terminate();
      await closed;
      assert.deepEqual(reported, [conn.dropped]);
    } finally {
      s.wss.close();
    }
  });
});
