// Consultative transfer (transferConsultative) in core, with fake ports over SQLite: REFER with
// Replaces to the transferee and both legs released on success; the bridge fallback when the
// transferee refuses REFER or the consultation leg cannot be replaced; a failed NOTIFY leaves
// the legs as they were; validation and tenancy.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { CallService, Leg, applicationPrincipal, type Call, type Participant } from '../src/core/index.ts';
import { FakeChannel, FakeMediaEndpoint } from '../src/core/testing/index.ts';
import { FakeClock } from '../src/lib/index.ts';
import { openDatabase, type Store } from '../src/store/index.ts';

const CALLER: Participant = { kind: 'phone', number: '+4930123456' };
const NUMBER: Participant = { kind: 'phone', number: '+4930999000' };
const DESK: Participant = { kind: 'sip', uri: 'sip:desk@example.org' };
const REPLACES = 'sip:desk@192.0.2.7:5060?Replaces=c1%40h%3Bto-tag%3Dt%3Bfrom-tag%3Df';
const me = applicationPrincipal('app-ct');
const other = applicationPrincipal('app-other');
let dir: string;
let store: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'core-ct-'));
  store = await openDatabase({ dataDir: dir });
  await store.migrate();
  for (const id of ['app-ct', 'app-other']) {
    await store.tenancy.applications.insert({
      id, name: id, callbackUrl: null, webhookSecrets: ['s'.repeat(32)],
      limits: { maxConcurrentCalls: null, callsPerSecond: null, allowedDestinationPrefixes: [], recordingRetentionDays: null }, createdAt: 0, updatedAt: 0,
    });
  }
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const tick = () => new Promise((r) => setImmediate(r));
const ended = (call: Call) => new Promise((r) => (call.state === 'ended' ? r(undefined) : call.once('ended', r)));

/** A channel whose dialog can be replaced (as the SIP adapter's can). */
function replaceable(ch: FakeChannel): FakeChannel {
  return Object.assign(ch, { replacesTarget: () => REPLACES });
}

/** Call X (inbound, answered: leg A) and call Y (createCall to the desk, answered: leg C). */
async function twoCalls(opts: { replaceable?: boolean; yApp?: typeof me } = {}) {
  const dialed: { ch: FakeChannel; ep: FakeMediaEndpoint }[] = [];
  const svc = new CallService({
    store, clock: new FakeClock(1_700_000_000_000), recordingsDir: join(dir, 'rec'), homeCountryCode: '49',
    channelFactory: {
      async dial(t) {
        const ch = new FakeChannel(t, NUMBER, 'outbound');
        if (opts.replaceable ?? true) replaceable(ch);
        const ep = new FakeMediaEndpoint();
        dialed.push({ ch, ep });
        return { channel: ch, media: ep };
      },
    },
  });
  const a = new FakeChannel(CALLER, NUMBER, 'inbound');
  const aEp = new FakeMediaEndpoint();
  const x = await svc.incoming(a, aEp, { applicationId: 'app-ct', from: CALLER, to: NUMBER });
  await (await svc.execute(x.id, 'answer', {}, { principal: me })).done;
  const { call: y, operation } = await svc.createCall({ target: DESK }, { principal: opts.yApp ?? me });
  for (let i = 0; i < 10 && dialed.length === 0; i++) await tick();
  dialed[0].ch.peerAnswers();
  await operation.done;
  return { svc, a, aEp, x, y, c: dialed[0].ch, cEp: dialed[0].ep };
}

async function events(callId: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const rows = await store.db.selectFrom('events').select(['type', 'data']).where('call_id', '=', callId).orderBy('seq').execute();
  return rows.map((r) => ({ type: r.type, data: JSON.parse(r.data) as Record<string, unknown> }));
}

it('REFERs the transferee to the consultation leg with Replaces; on NOTIFY 2xx both legs are released as transferred', async () => {
  const { svc, a, c, x, y } = await twoCalls();
  const op = await svc.execute(x.id, 'transferConsultative', { targetCallId: y.id }, { principal: me, operationContext: 'ct' });
  const r = await op.done;
  assert.equal(r.code, 200, r.message);
  assert.deepEqual(a.calls.filter((s) => s.startsWith('refer:')), [`refer:${REPLACES}`]);
  assert.ok(a.calls.includes('hangup:transferred'));
  assert.ok(c.calls.includes('hangup:transferred'));
  await Promise.all([ended(x), ended(y)]);
  await x.journal.settled();
  const ev = (await events(x.id)).find((e) => e.type === 'transfer.accepted');
  assert.equal(ev?.data.method, 'refer-replaces');
  assert.equal(ev?.data.targetCallId, y.id);
  assert.equal(ev?.data.operationContext, 'ct');
  const cdr = await store.calls.cdrs.get(y.id);
  assert.ok(cdr, 'the consultation call has its CDR');
  await svc.close();
});

it('bridges A and C, releasing nothing, when the transferee refuses the REFER itself (405)', async () => {
  const { svc, a, aEp, c, cEp, x, y } = await twoCalls();
  a.referOutcome = { accepted: false, sipStatus: 405, stage: 'refer' };
  const op = await svc.execute(x.id, 'transferConsultative', { targetCallId: y.id }, { principal: me });
  assert.equal((await op.done).code, 200);
  assert.equal(aEp.connectedTo, cEp);
  assert.equal(a.ended, false);
  assert.equal(c.ended, false);
  await x.journal.settled();
  assert.equal((await events(x.id)).find((e) => e.type === 'transfer.accepted')?.data.method, 'bridge');
  // A two-party bridge across the calls: the target hanging up ends the transferee too.
  c.peerHangsUp();
  await Promise.all([ended(x), ended(y)]);
  assert.equal(a.ended, true);
  await svc.close();
});

it('bridges without a REFER when the consultation leg cannot be replaced, or when useRefer is false', async () => {
  for (const o of [{ replaceable: false, params: {} }, { replaceable: true, params: { useRefer: false } }]) {
    const { svc, a, aEp, cEp, x, y } = await twoCalls({ replaceable: o.replaceable });
    const op = await svc.execute(x.id, 'transferConsultative', { targetCallId: y.id, ...o.params }, { principal: me });
    assert.equal((await op.done).code, 200);
    assert.equal(a.calls.some((s) => s.startsWith('refer:')), false, 'no REFER was sent');
    assert.equal(aEp.connectedTo, cEp);
    await svc.close();
  }
});

it('a failing NOTIFY (486 from the target) fails the operation with transfer.failed; both legs stay up, unbridged', async () => {
  const { svc, a, aEp, c, x, y } = await twoCalls();
  a.referOutcome = { accepted: false, sipStatus: 486, stage: 'notify' };
  const op = await svc.execute(x.id, 'transferConsultative', { targetCallId: y.id }, { principal: me, operationContext: 'again' });
  const r = await op.done;
  assert.equal(r.code, 400);
  assert.match(r.message, /486/);
  assert.equal(a.ended, false);
  assert.equal(c.ended, false);
  assert.equal(aEp.connectedTo, undefined);
  assert.equal(x.state, 'established');
  await x.journal.settled();
  const ev = (await events(x.id)).find((e) => e.type === 'transfer.failed');
  assert.equal(ev?.data.operationContext, 'again');
  assert.equal(ev?.data.sipStatus, 486);
  await svc.close();
});

it('works with a consultation leg in the same call (targetLegId)', async () => {
  const { svc, a, x } = await twoCalls();
  const c = replaceable(new FakeChannel(DESK, NUMBER, 'outbound'));
  const leg = new Leg('leg-consult', x.id, DESK, 'participant', 'outbound', c, new FakeMediaEndpoint(), 0);
  await x.addLeg(leg);
  c.peerAnswers();
  for (let i = 0; i < 5 && leg.state !== 'answered'; i++) await tick();
  const op = await svc.execute(x.id, 'transferConsultative', { targetLegId: 'leg-consult' }, { principal: me });
  assert.equal((await op.done).code, 200);
  assert.ok(a.calls.includes(`refer:${REPLACES}`));
  assert.ok(c.calls.includes('hangup:transferred'));
  await ended(x);
  await svc.close();
});

it('refuses bad requests before running; another application\'s call is not a consultation call', async () => {
  const { svc, a, x, y } = await twoCalls();
  await assert.rejects(svc.execute(x.id, 'transferConsultative', {}, { principal: me }), /exactly one/);
  await assert.rejects(svc.execute(x.id, 'transferConsultative', { targetCallId: y.id, targetLegId: 'l' }, { principal: me }), /exactly one/);
  await assert.rejects(svc.execute(x.id, 'transferConsultative', { targetCallId: x.id }, { principal: me }), /use targetLegId/);
  await assert.rejects(svc.execute(x.id, 'transferConsultative', { targetLegId: 'nope' }, { principal: me }), /no live leg/);
  await assert.rejects(svc.execute(x.id, 'transferConsultative', { targetLegId: [...x.legs.keys()][0] }, { principal: me }), /same leg/);
  await assert.rejects(svc.execute(x.id, 'transferConsultative', { targetCallId: y.id, target: 'x' }, { principal: me }), /not a known parameter/);
  await svc.close();
  // Y belongs to another application: to X's application it does not exist.
  const t = await twoCalls({ yApp: other });
  const op = await t.svc.execute(t.x.id, 'transferConsultative', { targetCallId: t.y.id }, { principal: me });
  const r = await op.done;
  assert.equal(r.code, 410);
  assert.equal(t.a.calls.some((s) => s.startsWith('refer:')), false);
  assert.equal(t.aEp.connectedTo, undefined);
  void a;
  await t.svc.close();
});
