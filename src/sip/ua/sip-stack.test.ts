// The assembled stack on real UDP sockets (127.0.0.1, ephemeral ports): OPTIONS, a call with
// BYE, and close() hanging up what is still up.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SipStack } from './sip-stack.ts';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

async function stack(): Promise<SipStack> {
  return SipStack.start({
    transport: { host: '127.0.0.1', udpPort: 0, tcpPort: false, wsPort: false },
    timers: { t1: 50, t2: 400, t4: 500 },
    logger: process.env.SIP_DEBUG ? { trace() {}, debug() {}, info() {}, warn: (...x: unknown[]) => console.log('WARN', x), error: (...x: unknown[]) => console.log('ERR', x), child() { return this; } } : undefined,
  });
}

describe('SipStack on UDP', () => {
  const stacks: SipStack[] = [];
  after(async () => {
    await Promise.all(stacks.map((s) => s.close()));
  });

  it('answers OPTIONS with Allow, Accept and Supported, and carries a call end to end', async () => {
    const a = await stack();
    const b = await stack();
    stacks.push(a, b);
    const bPort = b.transport.ports.udp!;
    const res = await a.ua.request({ method: 'OPTIONS', uri: `sip:ping@127.0.0.1:${bPort}` });
    assert.equal(res.status, 200);
    assert.ok(res.tokens('allow').includes('invite'));
    assert.deepEqual(res.tokens('accept'), ['application/sdp']);
    assert.ok(res.tokens('supported').includes('100rel'));

    b.ua.on('invite', (s) => s.answer({ body: SDP }));
    const call = a.ua.invite({ uri: `sip:bob@127.0.0.1:${bPort}`, body: SDP });
    await new Promise((r) => call.once('accepted', r));
    assert.equal(a.stats().dialogs, 1);
    assert.deepEqual(a.stats().registrations, { registered: 0, total: 0 });
    assert.ok(a.stats().transactions.ict >= 0);
    await new Promise((r) => setTimeout(r, 20)); // let the ACK land
    assert.equal(b.stats().dialogs, 1);
    await call.bye();
    assert.equal(a.stats().dialogs, 0);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(b.stats().sessions, 0);
  });

  it('close() sends BYE for calls still up', async () => {
    const a = await stack();
    const b = await stack();
    stacks.push(b);
    const ended = new Promise((r) => b.ua.once('invite', (s) => {
      s.answer({ body: SDP });
      s.once('terminated', r);
    }));
    const call = a.ua.invite({ uri: `sip:bob@127.0.0.1:${b.transport.ports.udp!}`, body: SDP });
    await new Promise((r) => call.once('accepted', r));
    await new Promise((r) => setTimeout(r, 20));
    await a.close();
    assert.deepEqual(await ended, { by: 'remote', reason: 'bye' });
  });
});
