// Outbound calls that cannot work fail fast with a clear end reason instead of hanging:
//  - through a trunk whose host never answers (a closed UDP port): ended by the ring timeout,
//    not by Timer B (32 s), reason 'no-answer';
//  - to a SIP user of this node (sip:user@<our host>) or a WebRTC/ACS user that is not
//    registered: ended at once, reason 'not-registered', SIP-like status 404;
//  - through a TCP trunk whose host refuses the connection: ended at once, 'unreachable'.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeUdpPort } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';

const KEY = 'fast-failure-key-0123456789abcdef';
const APP = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

function closedTcpPort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

interface CallBody { id: string; state: string; endReason: string | null; endedBy: string | null; sipStatus: number | null }

describe('fast outbound failures', () => {
  let node: TestNode;
  before(async () => {
    const deadUdp = await freeUdpPort();
    node = await startNode({
      yaml: `applications:
  - name: dialer
    apiKeys: ["${KEY}"]
    limits: { allowedDestinationPrefixes: ["+49"] }
trunks:
  - { name: carrier, host: 127.0.0.1, port: ${deadUdp}, transport: udp }
`,
    });
  });
  after(() => node?.stop());

  async function place(body: Record<string, unknown>): Promise<{ call: CallBody; ms: number }> {
    const t0 = Date.now();
    const res = await fetch(`${node.http}/v1/calls`, { method: 'POST', headers: APP, body: JSON.stringify(body) });
    const text = await res.text();
    assert.equal(res.status, 201, text);
    const id = (JSON.parse(text) as { call: { id: string } }).call.id;
    for (;;) {
      const c = (await (await fetch(`${node.http}/v1/calls/${id}`, { headers: APP })).json()) as CallBody;
      if (c.state === 'ended') return { call: c, ms: Date.now() - t0 };
      if (Date.now() - t0 > 25_000) assert.fail(`call still ${c.state} after 25 s`);
      await sleep(50);
    }
  }

  test('a trunk host that never answers: the call ends at the ring timeout (no-answer), not after Timer B', { timeout: 30_000 }, async () => {
    const { call, ms } = await place({ target: { kind: 'phone', number: '+4930123456' }, ringTimeoutMs: 3000 });
    assert.equal(call.endReason, 'no-answer', JSON.stringify(call));
    assert.ok(ms >= 2900 && ms < 6000, `ended after ${ms} ms (ring timeout 3000 ms)`);
  });

  test('a SIP user of this node that is not registered: ended at once, not-registered (404)', { timeout: 10_000 }, async () => {
    const { call, ms } = await place({ target: { kind: 'sip', uri: 'sip:nobody@localhost' }, ringTimeoutMs: 20000 });
    assert.equal(call.endReason, 'not-registered', JSON.stringify(call));
    assert.equal(call.sipStatus, 404);
    assert.ok(ms < 2000, `ended after ${ms} ms`);
  });

  test('a WebRTC (ACS 8:acs) user that is not registered: ended at once, not-registered', { timeout: 10_000 }, async () => {
    const { call, ms } = await place({ target: { kind: 'webrtc', user: 'ghost' }, ringTimeoutMs: 20000 });
    assert.equal(call.endReason, 'not-registered', JSON.stringify(call));
    assert.ok(ms < 2000, `ended after ${ms} ms`);
  });

  test('a TCP trunk whose host refuses the connection: ended at once, unreachable', { timeout: 10_000 }, async () => {
    // The same trunk, now over TCP to a port nobody listens on (the config declaration is re-applied
    // only at start, so the API change holds for this test).
    const admin = { authorization: 'Bearer test-admin-key-0123456789', 'content-type': 'application/json' };
    const list = (await (await fetch(`${node.http}/v1/trunks`, { headers: admin })).json()) as { items?: { id: string }[] } | { id: string }[];
    const id = (Array.isArray(list) ? list : (list.items ?? []))[0]!.id;
    const patched = await fetch(`${node.http}/v1/trunks/${id}`, { method: 'PATCH', headers: admin, body: JSON.stringify({ transport: 'tcp', port: await closedTcpPort() }) });
    assert.equal(patched.status, 200, await patched.text());
    const { call, ms } = await place({ target: { kind: 'phone', number: '+4930123456' }, ringTimeoutMs: 20000 });
    assert.equal(call.endReason, 'unreachable', JSON.stringify(call));
    assert.ok(ms < 2000, `ended after ${ms} ms`);
  });
});
