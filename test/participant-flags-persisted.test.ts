// Participant mute and hold survive outside the node's memory (legs.muted / legs.on_hold,
// migration 0009), end to end with real peers: a SIPp caller rings the ACS application's number,
// the official SDK (1.6.0) answers and adds a phone participant (out through the trunk to a SIPp
// UAS), mutes the participant and holds the caller. Read back:
//  - GET /v1/calls/{id} (native API, served from the store): each leg's muted / onHold;
//  - the SDK's getParticipant / listParticipants on the live call (isMuted / isOnHold);
//  - the SDK (1.5.1 and 1.6.0) on a call this node does not hold in memory — the rows copied
//    under another call id, as a node sharing the store would see another node's call: the ACS
//    face answers from the rows;
// then unmute (native API; ACS has no unmute) and unhold (SDK) bring every reading back to false.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { explain, freeUdpPort, runSipp, sippAvailable, type SippResult } from './helpers/sipp.ts';
import { startReceiver } from './helpers/webhook-receiver.ts';
import { loadSdk, SDKS, startAcsBotNode, waitForCallback, waitForRequest, type AcsBotNode } from './helpers/acs-sdk-bot.ts';
import type { Store } from '../src/store/index.ts';

const NUMBER = '+4930777999';
const CALLER = '+4915112345678';
const ADDED = '+4930555011';
const admin = { authorization: 'Bearer test-admin-key-0123456789' };

interface LegView { id: string; participant: { number?: string }; state: string; muted: boolean; onHold: boolean }

describe('participant mute/hold persisted in the leg rows — SIPp legs, native API and the ACS SDK', { skip: !sippAvailable() && 'sipp missing', timeout: 90_000 }, () => {
  let bot: AcsBotNode;
  let trunkPort = 0;
  before(async () => {
    trunkPort = await freeUdpPort();
    bot = await startAcsBotNode({
      numbers: [NUMBER],
      limits: '      allowedDestinationPrefixes: ["+49"]',
      yaml: `trunks:\n  - name: carrier\n    host: 127.0.0.1\n    port: ${trunkPort}\n    transport: udp\n`,
    });
  });
  after(async () => { await bot?.stop(); });

  /** The call's legs as GET /v1/calls/{id} shows them (read from the store). */
  const legsOf = async (callId: string): Promise<Record<string, LegView>> => {
    const res = await bot.node.server.http.inject({ method: 'GET', url: `/v1/calls/${callId}`, headers: admin });
    assert.equal(res.statusCode, 200, res.body);
    const legs = (res.json() as { legs: LegView[] }).legs.filter((l) => l.state === 'answered');
    return Object.fromEntries(legs.map((l) => [l.participant.number ?? '?', l]));
  };
  /** Polls GET /v1/calls/{id} until `pred` holds (hold answers 200 before core has applied it). */
  const until = async (callId: string, pred: (l: Record<string, LegView>) => boolean, what: string) => {
    let last: Record<string, LegView> = {};
    for (let i = 0; i < 50; i++) {
      last = await legsOf(callId);
      if (pred(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`${what}: ${JSON.stringify(last)}`);
  };
  const flags = (l: Record<string, LegView>) => Object.fromEntries(Object.entries(l).map(([n, v]) => [n, [v.muted, v.onHold]]));

  test('mute + hold → native GET, SDK live and from the rows; unmute + unhold → all false', { timeout: 60_000 }, async (t) => {
    const sdk = loadSdk('acs-sdk-160');
    const callbacks = await startReceiver();
    t.after(() => callbacks.close());
    const runs: Promise<SippResult>[] = [];
    t.after(() => Promise.allSettled(runs));
    const caller = runSipp({ scenario: 'acs-uac-refuse-refer-wait-bye.xml', target: bot.node.sip, service: NUMBER, args: ['-mp', String(await freeUdpPort())], timeoutMs: 55_000 });
    runs.push(caller);
    const incoming = await waitForRequest(bot.eventGrid, () => true, 'IncomingCall').catch(async (e: Error) => { throw new Error(`${e.message}\n${explain(await caller)}`); });
    const [ev] = JSON.parse(incoming.body) as { data: { incomingCallContext: string } }[];
    const answered = await bot.client(sdk).answerCall(ev.data.incomingCallContext, callbacks.url);
    const callId = answered.callConnectionProperties.callConnectionId!;
    const conn = answered.callConnection;
    await waitForCallback(callbacks, sdk, 'CallConnected');

    const uas = runSipp({ scenario: 'calls-uas-answer.xml', localPort: trunkPort, args: ['-mp', String(await freeUdpPort())], timeoutMs: 40_000 });
    runs.push(uas);
    await new Promise((r) => setTimeout(r, 300)); // SIPp listening
    await conn.addParticipant({ targetParticipant: { phoneNumber: ADDED } }, { invitationTimeoutInSeconds: 10 });
    await waitForCallback(callbacks, sdk, 'AddParticipantSucceeded').catch(async (e: Error) => { throw new Error(`${e.message}\n${explain(await uas)}`); });
    assert.deepEqual(flags(await legsOf(callId)), { [CALLER]: [false, false], [ADDED]: [false, false] }, 'new legs: neither muted nor held');

    // Mute the participant: ACS answers after core's result, so the row is already written.
    await conn.muteParticipant({ phoneNumber: ADDED });
    assert.deepEqual(flags(await legsOf(callId)), { [CALLER]: [false, false], [ADDED]: [true, false] }, 'native GET after mute');
    // Hold the caller: 200 at once, the row follows when core has held it.
    await conn.getCallMedia().hold({ phoneNumber: CALLER });
    const held = await until(callId, (l) => l[CALLER]?.onHold === true, 'the caller held in GET /v1/calls/{id}');
    assert.deepEqual(flags(held), { [CALLER]: [false, true], [ADDED]: [true, false] }, 'native GET after hold');

    // The SDK on the live call (memory) says the same.
    assert.equal((await conn.getParticipant({ phoneNumber: ADDED })).isMuted, true);
    assert.equal((await conn.getParticipant({ phoneNumber: CALLER })).isOnHold, true);

    // The SDK on a call this node does not hold in memory: the rows, copied under another call id.
    const store = (bot.node.server as unknown as { store: Store }).store;
    const row = (await store.calls.calls.get(callId))!;
    const otherId = `other-node-${callId}`;
    await store.calls.calls.insert({ ...row, id: otherId });
    for (const l of await store.calls.calls.legs(callId)) await store.calls.calls.insertLeg({ ...l, id: `${l.id}-x`, callId: otherId });
    for (const v of SDKS) {
      const other = bot.client(loadSdk(v)).getCallConnection(otherId);
      const list = (await other.listParticipants()).values ?? [];
      const seen = Object.fromEntries(list.map((p) => [(p.identifier as { phoneNumber?: string }).phoneNumber, [p.isMuted, p.isOnHold]]));
      assert.deepEqual(seen, { [CALLER]: [false, true], [ADDED]: [true, false] }, `${v}: listParticipants from the rows`);
      const one = await other.getParticipant({ phoneNumber: ADDED });
      assert.deepEqual([one.isMuted, one.isOnHold], [true, false], `${v}: getParticipant from the rows`);
    }

    // Unmute (native API: ACS has no unmute) and unhold (SDK): every reading back to false.
    const unmute = await bot.node.server.http.inject({ method: 'POST', url: `/v1/calls/${callId}/participants/${held[ADDED]!.id}/unmute`, headers: admin, payload: {} });
    assert.equal(unmute.statusCode, 202, unmute.body);
    await conn.getCallMedia().unhold({ phoneNumber: CALLER });
    const back = await until(callId, (l) => !l[CALLER]?.onHold && !l[ADDED]?.muted, 'unmuted and unheld in GET /v1/calls/{id}');
    assert.deepEqual(flags(back), { [CALLER]: [false, false], [ADDED]: [false, false] });
    const live = (await conn.listParticipants()).values ?? [];
    assert.deepEqual(live.map((p) => [p.isMuted, p.isOnHold]), [[false, false], [false, false]], 'SDK live list after unmute/unhold');

    await conn.hangUp(true);
    const [c, u] = await Promise.all([caller, uas]);
    assert.equal(c.code, 0, explain(c));
    assert.equal(u.code, 0, explain(u));
  });
});
