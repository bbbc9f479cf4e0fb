// Core call model with in-memory fake Channel / MediaEndpoint over a real SQLite store:
// state machines, operations' lifecycles, events in order and atomic with state, CDRs after
// each kind of ending, tenant isolation, close cascade.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CallError, CallService, applicationPrincipal, type CallCdr, type LegCdr, type Participant } from '../src/core/index.ts';
import { FakeChannel, FakeMediaEndpoint } from '../src/core/testing/index.ts';
import { FakeClock } from '../src/lib/index.ts';
import { openDatabase, type Store } from '../src/store/index.ts';

const CALLER: Participant = { kind: 'phone', number: '+4930123456' };
const NUMBER: Participant = { kind: 'phone', number: '+4930999000' };
const APP = 'app-a';
const OTHER = 'app-b';
const me = applicationPrincipal(APP);

let dir: string;
let store: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'core-calls-'));
  store = await openDatabase({ dataDir: dir });
  await store.migrate();
  for (const id of [APP, OTHER]) {
    await store.tenancy.applications.insert({
      id, name: id, callbackUrl: `http://127.0.0.1:9/${id}`, webhookSecrets: ['s'.repeat(32)],
      limits: { maxConcurrentCalls: null, callsPerSecond: null, allowedDestinationPrefixes: ['+44'], recordingRetentionDays: null },
      createdAt: 0, updatedAt: 0,
    });
  }
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function setup(extra: Partial<ConstructorParameters<typeof CallService>[0]> = {}) {
  const clock = new FakeClock(1_700_000_000_000);
  const svc = new CallService({ store, clock, recordingsDir: join(dir, 'rec'), homeCountryCode: '49', ...extra });
  return { clock, svc };
}

async function inbound(svc: CallService) {
  const ch = new FakeChannel(CALLER, NUMBER, 'inbound');
  const ep = new FakeMediaEndpoint();
  const call = await svc.incoming(ch, ep, { applicationId: APP, from: CALLER, to: NUMBER });
  return { ch, ep, call };
}

async function eventsOf(callId: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const rows = await store.db.selectFrom('events').select(['type', 'data', 'seq']).where('call_id', '=', callId).orderBy('seq').execute();
  return rows.map((r) => ({ type: r.type, data: JSON.parse(r.data) as Record<string, unknown> }));
}

async function cdrs(callId: string): Promise<{ call: CallCdr; legs: LegCdr[] }> {
  const rows = await store.calls.cdrs.list({ callId });
  return {
    call: rows.find((r) => r.kind === 'call')!.record as unknown as CallCdr,
    legs: rows.filter((r) => r.kind === 'leg').map((r) => r.record as unknown as LegCdr),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('inbound call state machine and CDRs', () => {
  it('incoming → ringing → answered → caller hangs up: events in order, CDR says remote/normal/200 with quality', async () => {
    const { clock, svc } = setup();
    const { ch, call } = await inbound(svc);
    assert.equal(call.state, 'ringing');
    assert.deepEqual(ch.calls, ['ring']);
    clock.advance(2000);
    const op = await svc.execute(call.id, 'answer', {}, { principal: me, operationContext: 'ctx-answer' });
    assert.equal((await op.done).code, 200);
    assert.equal(call.state, 'established');
    clock.advance(10_000);
    ch.peerHangsUp();
    await new Promise((r) => call.once('ended', r));
    await call.journal.settled();
    const ev = await eventsOf(call.id);
    assert.deepEqual(ev.map((e) => e.type), ['call.incoming', 'call.ringing', 'call.answered', 'call.ended']);
    assert.equal(ev[2].data.operationContext, 'ctx-answer');
    assert.deepEqual(ev[3].data, { reason: 'normal', by: 'remote', sipStatus: 200, durationMs: 10_000 });
    const row = await svc.get(me, call.id);
    assert.equal(row.state, 'ended');
    assert.equal(row.legs[0].state, 'ended');
    const c = await cdrs(call.id);
    assert.equal(c.call.endedBy, 'remote');
    assert.equal(c.call.talkMs, 10_000);
    assert.equal(c.call.answeredAt! - c.call.startedAt, 2000);
    assert.equal(c.legs.length, 1);
    assert.equal(c.legs[0].quality?.packetsLost, 10);
    assert.ok(Math.abs(c.legs[0].quality!.lossRate - 10 / 1010) < 1e-9);
    assert.equal(svc.liveCount, 0);
  });

  it('reject busy: ended by local, reason rejected, SIP 486, no answer time', async () => {
    const { svc } = setup();
    const { ch, call } = await inbound(svc);
    const op = await svc.execute(call.id, 'reject', { reason: 'busy' }, { principal: me });
    assert.equal((await op.done).code, 200);
    await call.journal.settled();
    assert.deepEqual(ch.calls, ['ring', 'reject:busy']);
    assert.deepEqual((await eventsOf(call.id)).map((e) => e.type), ['call.incoming', 'call.ringing', 'call.ended']);
    const c = await cdrs(call.id);
    assert.equal(c.call.endReason, 'rejected');
    assert.equal(c.call.endedBy, 'local');
    assert.equal(c.call.sipStatus, 486);
    assert.equal(c.call.answeredAt, undefined);
    assert.equal(c.call.talkMs, 0);
  });

  it('no answer within the timeout: rejected by the system (480)', async () => {
    const { clock, svc } = setup({ unansweredTimeoutMs: 5000 });
    const { ch, call } = await inbound(svc);
    clock.advance(4999);
    assert.equal(call.state, 'ringing');
    clock.advance(1);
    await new Promise((r) => call.once('ended', r));
    await call.journal.settled();
    assert.deepEqual(ch.calls, ['ring', 'reject:none']);
    const c = await cdrs(call.id);
    assert.equal(c.call.endReason, 'no-answer');
    assert.equal(c.call.endedBy, 'system');
    assert.equal(c.call.sipStatus, 480);
  });

  it('application hangs up: ended by local; later operations are refused', async () => {
    const { svc } = setup();
    const { ch, call } = await inbound(svc);
    await (await svc.execute(call.id, 'answer', {}, { principal: me })).done;
    await (await svc.execute(call.id, 'hangup', {}, { principal: me })).done;
    await call.journal.settled();
    assert.ok(ch.calls.includes('hangup:normal'));
    const c = await cdrs(call.id);
    assert.equal(c.call.endedBy, 'local');
    assert.equal(c.call.endReason, 'normal');
    await assert.rejects(svc.execute(call.id, 'play', { sources: [{ kind: 'file', path: 'a.wav' }] }, { principal: me }), (e: CallError) => e.code === 'CALL_NOT_FOUND');
  });

  it('caller hangs up before answer: ended by remote, reason cancelled', async () => {
    const { svc } = setup();
    const { ch, call } = await inbound(svc);
    ch.peerHangsUp('cancelled', 487);
    await new Promise((r) => call.once('ended', r));
    await call.journal.settled();
    const c = await cdrs(call.id);
    assert.equal(c.call.endedBy, 'remote');
    assert.equal(c.call.endReason, 'cancelled');
    assert.equal(c.call.sipStatus, 487);
  });
});

describe('operations', () => {
  it('play: started then completed, operationContext echoed; cancel gives play.cancelled; media failure gives play.failed', async () => {
    const { svc } = setup();
    const { ep, call } = await inbound(svc);
    await (await svc.execute(call.id, 'answer', {}, { principal: me })).done;
    const p1 = await svc.execute(call.id, 'play', { sources: [{ kind: 'file', path: 'hello.wav' }] }, { principal: me, operationContext: 'p1' });
    await tick();
    assert.equal(ep.running('play').length, 1);
    ep.running('play')[0].finish({ reason: 'completed' });
    assert.equal((await p1.done).code, 200);
    const p2 = await svc.execute(call.id, 'play', { sources: [{ kind: 'file', path: 'x.wav' }], loop: true }, { principal: me, operationContext: 'p2' });
    await tick();
    await p2.cancel();
    assert.equal((await p2.done).code, 499);
    assert.equal(ep.running('play').length, 0, 'cancelling the operation stops the media');
    ep.failPlay = new Error('no such file');
    const p3 = await svc.execute(call.id, 'play', { sources: [{ kind: 'file', path: 'missing.wav' }] }, { principal: me, operationContext: 'p3' });
    assert.equal((await p3.done).code, 500);
    await call.journal.settled();
    const ev = (await eventsOf(call.id)).filter((e) => e.type.startsWith('play.'));
    assert.deepEqual(ev.map((e) => `${e.type}:${String(e.data.operationContext)}`),
      ['play.started:p1', 'play.completed:p1', 'play.started:p2', 'play.cancelled:p2', 'play.started:p3', 'play.failed:p3']);
    const stored = await svc.getOperation(me, p3.id);
    assert.equal(stored.state, 'failed');
    await svc.close();
  });

  it('play validation lists every problem and runs nothing', async () => {
    const { svc } = setup();
    const { call } = await inbound(svc);
    await assert.rejects(svc.execute(call.id, 'play', { sources: [{ kind: 'file', path: '../etc/passwd' }, { kind: 'nope' }], loop: 'yes' }, { principal: me }),
      (e: CallError) => e.code === 'VALIDATION_FAILED' && e.issues!.length === 3);
    await assert.rejects(svc.execute(call.id, 'dance', {}, { principal: me }), (e: CallError) => e.code === 'UNKNOWN_OPERATION');
    await svc.close();
  });

  it('recognize DTMF: max tones, stop tone, inter-digit timeout, initial silence', async () => {
    const { clock, svc } = setup();
    const { ep, ch, call } = await inbound(svc);
    await (await svc.execute(call.id, 'answer', {}, { principal: me })).done;
    const run = async (params: Record<string, unknown>, feed: () => void) => {
      const op = await svc.execute(call.id, 'recognize', params, { principal: me, operationContext: 'r' });
      feed();
      return op.done;
    };
    let r = await run({ maxTones: 3 }, () => { ep.digit('1'); ch.peerInfoDigit('2'); ep.digit('3'); });
    assert.equal(r.code, 200);
    r = await run({ maxTones: 5, stopTones: '#' }, () => { ep.digit('4'); ep.digit('#'); });
    assert.equal(r.code, 200);
    r = await run({ maxTones: 5, interToneTimeoutMs: 1000 }, () => { ep.digit('7'); clock.advance(999); ep.digit('8'); clock.advance(1000); });
    assert.equal(r.code, 200);
    r = await run({ initialSilenceTimeoutMs: 3000 }, () => clock.advance(3000));
    assert.equal(r.code, 408);
    await call.journal.settled();
    const ev = (await eventsOf(call.id)).filter((e) => e.type.startsWith('recognize.'));
    assert.deepEqual(ev.map((e) => [e.type, e.data.tones]), [
      ['recognize.completed', ['1', '2', '3']],
      ['recognize.completed', ['4']],
      ['recognize.completed', ['7', '8']],
      ['recognize.failed', []],
    ]);
    assert.equal(ev[1].data.stopTone, '#');
    assert.ok(ev.every((e) => e.data.operationContext === 'r'));
    await svc.close();
  });

  it('recognize with a prompt: barge-in stops the prompt, initial silence starts after the prompt', async () => {
    const { clock, svc } = setup();
    const { ep, call } = await inbound(svc);
    await (await svc.execute(call.id, 'answer', {}, { principal: me })).done;
    const op = await svc.execute(call.id, 'recognize', { prompt: [{ kind: 'file', path: 'menu.wav' }], initialSilenceTimeoutMs: 1000 }, { principal: me });
    await tick();
    clock.advance(5000); // prompt still playing: no silence timeout yet
    assert.equal(op.state, 'running');
    ep.running('play')[0].finish({ reason: 'completed' });
    await tick();
    clock.advance(1000);
    assert.equal((await op.done).code, 408);
    const op2 = await svc.execute(call.id, 'recognize', { prompt: [{ kind: 'file', path: 'menu.wav' }] }, { principal: me });
    await tick();
    const prompt = ep.running('play')[0];
    ep.digit('5');
    assert.equal((await op2.done).code, 200);
    assert.equal(prompt.settled, true, 'the prompt was barged in');
    await svc.close();
  });

  it('the call ending cancels running operations before call.ended (result 410)', async () => {
    const { svc } = setup();
    const { ch, call } = await inbound(svc);
    await (await svc.execute(call.id, 'answer', {}, { principal: me })).done;
    const op = await svc.execute(call.id, 'play', { sources: [{ kind: 'file', path: 'long.wav' }] }, { principal: me });
    ch.peerHangsUp();
    assert.equal((await op.done).code, 410);
    await new Promise((r) => call.once('ended', r));
    await call.journal.settled();
    const types = (await eventsOf(call.id)).map((e) => e.type);
    assert.deepEqual(types.slice(-2), ['play.cancelled', 'call.ended']);
  });
});

describe('isolation, atomicity, close cascade', () => {
  it("another application's key sees no call: execute, get and list say not found", async () => {
    const { svc } = setup();
    const { call } = await inbound(svc);
    const other = applicationPrincipal(OTHER);
    await assert.rejects(svc.execute(call.id, 'answer', {}, { principal: other }), (e: CallError) => e.code === 'CALL_NOT_FOUND');
    await assert.rejects(svc.get(other, call.id), (e: CallError) => e.code === 'CALL_NOT_FOUND');
    assert.equal((await svc.list(other)).some((c) => c.id === call.id), false);
    assert.equal((await svc.list(me)).some((c) => c.id === call.id), true);
    assert.equal(call.state, 'ringing', 'nothing ran');
    await svc.close();
  });

  it('a transaction killed after the write leaves neither the call nor its event', async () => {
    const failing: Store = Object.create(store) as Store;
    failing.transaction = (fn) => store.transaction(async (tx) => { await fn(tx); throw new Error('killed'); });
    const { svc } = setup({ store: failing });
    const ch = new FakeChannel(CALLER, NUMBER, 'inbound');
    const ep = new FakeMediaEndpoint();
    await assert.rejects(svc.incoming(ch, ep, { applicationId: APP, from: CALLER, to: NUMBER }), /killed/);
    const calls = await store.db.selectFrom('calls').select('id').where('to_party', '=', JSON.stringify(NUMBER)).execute();
    const before = (await store.calls.calls.list({ applicationId: APP, limit: 1000 })).length;
    assert.equal(calls.length, before, 'no call row was added');
    const orphan = await store.db.selectFrom('events').select('id').where('type', '=', 'call.incoming')
      .where('call_id', 'not in', (await store.db.selectFrom('calls').select('id').execute()).map((c) => c.id).concat(['-'])).execute();
    assert.equal(orphan.length, 0, 'no event without its call');
    assert.deepEqual(ch.calls, ['reject:none'], 'the caller is turned away');
    assert.equal(ep.closed, true);
  });

  it('close(): every call ends (shutdown, CDR written), legs and endpoints close, then everything refuses', async () => {
    const { svc } = setup();
    const { ch, ep, call } = await inbound(svc);
    await (await svc.execute(call.id, 'answer', {}, { principal: me })).done;
    let callClosed = 0;
    let svcClosed = 0;
    call.on('closed', () => callClosed++);
    svc.on('closed', () => svcClosed++);
    const leg = call.primaryLeg!;
    await svc.close();
    await svc.close();
    assert.equal(callClosed, 1);
    assert.equal(svcClosed, 1);
    assert.equal(leg.closed, true);
    assert.equal(ep.closed, true);
    assert.equal(ch.ended, true);
    assert.throws(() => call.assertOpen(), (e: CallError) => e.code === 'CLOSED');
    assert.throws(() => leg.assertOpen(), (e: CallError) => e.code === 'CLOSED');
    await assert.rejects(svc.incoming(new FakeChannel(CALLER, NUMBER, 'inbound'), new FakeMediaEndpoint(), { applicationId: APP, from: CALLER, to: NUMBER }), (e: CallError) => e.code === 'CLOSED');
    const c = await cdrs(call.id);
    assert.equal(c.call.endReason, 'shutdown');
    assert.equal(c.call.endedBy, 'system');
  });
});

describe('outbound calls', () => {
  function factory() {
    const dialed: { ch: FakeChannel; ep: FakeMediaEndpoint }[] = [];
    return {
      dialed,
      channelFactory: {
        async dial(target: Participant) {
          const ch = new FakeChannel(target, NUMBER, 'outbound');
          const ep = new FakeMediaEndpoint();
          dialed.push({ ch, ep });
          return { channel: ch, media: ep };
        },
      },
    };
  }

  it('refuses international destinations outside the allowed prefixes', async () => {
    const { svc } = setup(factory());
    await assert.rejects(svc.createCall({ target: { kind: 'phone', number: '+33123456789' } }, { principal: me }), (e: CallError) => e.code === 'DESTINATION_NOT_ALLOWED');
    await svc.close();
  });

  it('dialing → ringing → answered; then the callee hangs up', async () => {
    const f = factory();
    const { svc } = setup(f);
    const { call, operation } = await svc.createCall({ target: { kind: 'phone', number: '+442071234567' } }, { principal: me, operationContext: 'out' });
    assert.equal(call.state, 'dialing');
    await tick();
    f.dialed[0].ch.peerRings();
    assert.equal(call.state, 'ringing');
    f.dialed[0].ch.peerAnswers();
    assert.equal((await operation.done).code, 200);
    assert.equal(call.state, 'established');
    f.dialed[0].ch.peerHangsUp();
    await new Promise((r) => call.once('ended', r));
    await call.journal.settled();
    assert.deepEqual((await eventsOf(call.id)).map((e) => e.type), ['call.created', 'call.ringing', 'call.answered', 'call.ended']);
    assert.equal((await cdrs(call.id)).call.direction, 'outbound');
  });

  it('no answer within ringTimeoutMs: createCall.failed (408 NO_ANSWER), call ended by system', async () => {
    const f = factory();
    const { clock, svc } = setup(f);
    const { call, operation } = await svc.createCall({ target: { kind: 'sip', uri: 'sip:bob@example.org' }, ringTimeoutMs: 5000 }, { principal: me, operationContext: 'o2' });
    await tick();
    clock.advance(5000);
    const r = await operation.done;
    assert.equal(r.code, 408);
    await new Promise((res) => (call.state === 'ended' ? res(undefined) : call.once('ended', res)));
    await call.journal.settled();
    const ev = await eventsOf(call.id);
    assert.deepEqual(ev.map((e) => e.type), ['call.created', 'createCall.failed', 'call.ended']);
    assert.equal(ev[1].data.operationContext, 'o2');
    const c = await cdrs(call.id);
    assert.equal(c.call.endReason, 'no-answer');
  });
});
