// A bridged (transferred) call ends when either party hangs up; the survivor is hung up by us
// as a consequence. The call's end must name the party who left (by remote, reason normal),
// not our consequential BYE (it said by local, 'peer-hangup').
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FakeClock } from '../../lib/index.ts';
import { openDatabase, type Store } from '../../store/index.ts';
import { FakeChannel, FakeMediaEndpoint } from '../testing/index.ts';
import { applicationPrincipal } from '../tenancy/index.ts';
import type { Participant } from '../ports/index.ts';
import { CallService } from './call-service.ts';

const CALLER: Participant = { kind: 'phone', number: '+4930123456' };
const NUMBER: Participant = { kind: 'phone', number: '+4930999000' };
const me = applicationPrincipal('app-bridge');
let dir: string;
let store: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'core-bridge-end-'));
  store = await openDatabase({ dataDir: dir });
  await store.migrate();
  await store.tenancy.applications.insert({
    id: 'app-bridge', name: 'bridge', callbackUrl: null, webhookSecrets: ['s'.repeat(32)],
    limits: { maxConcurrentCalls: null, callsPerSecond: null, allowedDestinationPrefixes: [], recordingRetentionDays: null }, createdAt: 0, updatedAt: 0,
  });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function transferred() {
  const dialed: { ch: FakeChannel; ep: FakeMediaEndpoint }[] = [];
  const svc = new CallService({
    store, clock: new FakeClock(1_700_000_000_000), recordingsDir: join(dir, 'rec'), homeCountryCode: '49',
    channelFactory: { async dial(t) { const ch = new FakeChannel(t, NUMBER, 'outbound'); const ep = new FakeMediaEndpoint(); dialed.push({ ch, ep }); return { channel: ch, media: ep }; } },
  });
  const ch = new FakeChannel(CALLER, NUMBER, 'inbound');
  const call = await svc.incoming(ch, new FakeMediaEndpoint(), { applicationId: 'app-bridge', from: CALLER, to: NUMBER });
  await (await svc.execute(call.id, 'answer', {}, { principal: me })).done;
  ch.referOutcome = { accepted: false, sipStatus: 405 };
  const op = await svc.execute(call.id, 'transferBlind', { target: { kind: 'sip', uri: 'sip:agent@example.org' } }, { principal: me });
  for (let i = 0; i < 20 && dialed.length === 0; i++) await new Promise((r) => setImmediate(r));
  dialed[0].ch.peerAnswers();
  assert.equal((await op.done).code, 200);
  return { svc, ch, call, target: dialed[0].ch };
}

async function endOf(callId: string) {
  const ended = await store.db.selectFrom('events').select(['data']).where('call_id', '=', callId).where('type', '=', 'call.ended').executeTakeFirst();
  const cdr = (await store.calls.cdrs.list({ callId })).find((c) => c.kind === 'call')!.record as Record<string, unknown>;
  return { event: JSON.parse(ended!.data) as Record<string, unknown>, cdr };
}

for (const who of ['caller', 'transfer target'] as const) {
  test(`the ${who} hangs up a bridged call: ended by remote, reason normal`, async () => {
    const { svc, ch, call, target } = await transferred();
    (who === 'caller' ? ch : target).peerHangsUp();
    await new Promise((r) => (call.state === 'ended' ? r(undefined) : call.once('ended', r)));
    await call.journal.settled();
    assert.ok((who === 'caller' ? target : ch).calls.includes('hangup:peer-hangup'), 'the survivor got our BYE');
    const { event, cdr } = await endOf(call.id);
    assert.equal(event.by, 'remote');
    assert.equal(event.reason, 'normal');
    assert.equal(cdr.endedBy, 'remote');
    assert.equal(cdr.endReason, 'normal');
    await svc.close();
  });
}
