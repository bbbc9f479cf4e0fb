// ACS face end to end, group calls and ACS users, with the official SDK as the only client and
// SIPp as the phones: a SIPp UAC registers as SIP user alice (digest), then a SIPp UAS answers on
// alice's contact; the bot calls createGroupCall([phone number through the trunk, 8:acs:alice])
// → 201 with both targets → CallConnected → AddParticipantSucceeded for each target (the
// registered ACS user reached on its binding) → both in listParticipants / ParticipantsUpdated
// → hangUp → both phones got a BYE. Bad input (a target twice, no targets) is a 400 through the
// SDK. Every callback parses with parseCallAutomationEvent and carries a valid Bearer JWT.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { explain, freeUdpPort, runSipp, sippAvailable, type SippResult } from './helpers/sipp.ts';
import { startReceiver } from './helpers/webhook-receiver.ts';
import { checkCallbacks, loadSdk, SDKS, startAcsBotWithTrunkAndAlice, typeOf, waitForCallback, waitForRequest, type AcsBotNode } from './helpers/acs-sdk-bot.ts';

const PHONE = '+4930555701';
const CALLER_ID = '+4930777100';
const ALICE = '8:acs:alice';

describe('ACS face: createGroupCall to a phone and an ACS user (registered SIPp) — SDK only', { skip: !sippAvailable() && 'sipp missing', timeout: 100_000 }, () => {
  let bot: AcsBotNode;
  let trunkPort = 0;
  let alicePort = 0;
  before(async () => {
    ({ bot, trunkPort, alicePort } = await startAcsBotWithTrunkAndAlice(CALLER_ID));
  });
  after(async () => { await bot?.stop(); });

  for (const v of SDKS.filter((x) => !process.env.ACS_SDK || x === process.env.ACS_SDK)) {
    test(`${v}: createGroupCall([phone, 8:acs:alice]) → CallConnected → AddParticipantSucceeded ×2 → hangUp`, { timeout: 40_000 }, async (t) => {
      const sdk = loadSdk(v);
      const callbacks = await startReceiver();
      t.after(() => callbacks.close());
      const runs: Promise<SippResult>[] = [];
      t.after(() => Promise.allSettled(runs));
      const phone = runSipp({ scenario: 'calls-uas-answer.xml', localPort: trunkPort, args: ['-mp', String(await freeUdpPort())], timeoutMs: 25_000 });
      const alice = runSipp({ scenario: 'calls-uas-answer.xml', localPort: alicePort, args: ['-mp', String(await freeUdpPort())], timeoutMs: 25_000 });
      runs.push(phone, alice);
      await new Promise((r) => setTimeout(r, 300)); // both UAS listen

      const client = bot.client(sdk);
      const refused = (p: Promise<unknown>) => p.then(() => undefined, (e: { statusCode?: number; code?: string }) => [e.statusCode, e.code]);
      assert.deepEqual(await refused(client.createGroupCall([{ phoneNumber: PHONE }, { phoneNumber: PHONE }], callbacks.url, { sourceCallIdNumber: { phoneNumber: CALLER_ID } })), [400, 'BadRequest'], 'a target twice');
      assert.deepEqual(await refused(client.createGroupCall([], callbacks.url)), [400, 'BadRequest'], 'no targets');
      assert.deepEqual(await refused(client.createGroupCall([{ phoneNumber: PHONE }, { phoneNumber: '12345' }], callbacks.url)), [400, 'BadRequest'], 'a target not E.164');

      const created = await client.createGroupCall([{ phoneNumber: PHONE }, { communicationUserId: ALICE }], `${callbacks.url}?sdk=${v}`,
        { sourceCallIdNumber: { phoneNumber: CALLER_ID }, operationContext: 'group' });
      const props = created.callConnectionProperties;
      const callId = props.callConnectionId!;
      assert.ok(callId);
      const targetIds = (props.targetParticipants ?? []).map((p) => (p as { rawId?: string }).rawId ?? (p as { phoneNumber?: string }).phoneNumber ?? (p as { communicationUserId?: string }).communicationUserId).sort();
      assert.deepEqual(targetIds, [`4:${PHONE}`, ALICE].sort(), 'the 201 lists both targets');

      await waitForCallback(callbacks, sdk, 'CallConnected');
      const first = await waitForCallback(callbacks, sdk, 'AddParticipantSucceeded', 0, 15_000).catch(async (e: Error) => { throw new Error(`${e.message}\n${explain(await phone)}\n${explain(await alice)}`); });
      const second = await waitForCallback(callbacks, sdk, 'AddParticipantSucceeded', 1, 15_000).catch(async (e: Error) => { throw new Error(`${e.message}\n${explain(await phone)}\n${explain(await alice)}`); });
      const who = [first, second].map((e) => e.participant?.phoneNumber ?? e.participant?.communicationUserId).sort();
      assert.deepEqual(who, [PHONE, ALICE].sort(), 'one AddParticipantSucceeded per target');
      assert.equal(first.operationContext, 'group');
      assert.ok(first.invitationId && second.invitationId && first.invitationId !== second.invitationId, 'each target has its own invitation');

      const listed = ((await created.callConnection.listParticipants()).values ?? [])
        .map((p) => (p.identifier as { phoneNumber?: string; communicationUserId?: string }).phoneNumber ?? (p.identifier as { communicationUserId?: string }).communicationUserId).sort();
      assert.deepEqual(listed, [PHONE, ALICE].sort(), 'both targets are in the call');
      await waitForRequest(callbacks, (q) => typeOf(q) === 'ParticipantsUpdated'
        && ((sdk.parseCallAutomationEvent(q.body) as unknown as { participants?: unknown[] }).participants?.length === 2), 'ParticipantsUpdated with both');

      await created.callConnection.hangUp(true);
      await waitForCallback(callbacks, sdk, 'CallDisconnected');
      const [rp, ra] = await Promise.all([phone, alice]);
      assert.equal(rp.code, 0, explain(rp));
      assert.match(rp.messages, new RegExp(`INVITE sip:\\${PHONE}@`));
      assert.match(rp.messages, /BYE sip:/);
      assert.equal(ra.code, 0, explain(ra));
      assert.match(ra.messages, /INVITE sip:alice@127\.0\.0\.1:/, 'alice was reached on her registered contact');
      assert.match(ra.messages, /BYE sip:/);

      const kinds = await checkCallbacks(bot, callbacks, sdk, callId);
      for (const k of ['CallConnected', 'AddParticipantSucceeded', 'ParticipantsUpdated', 'CallDisconnected']) assert.ok(kinds.includes(k), `${k} in ${kinds.join(', ')}`);
      // CallConnected when the first target answered (ACS's order), not when the call was created.
      assert.ok(kinds.indexOf('CallConnected') < kinds.indexOf('AddParticipantSucceeded'), `CallConnected before AddParticipantSucceeded: ${kinds.join(', ')}`);
      assert.ok(!kinds.includes('AddParticipantFailed') && !kinds.includes('CreateCallFailed'), kinds.join(', '));
    });
  }

  test('acs-sdk-160: a group call ends when its last party hangs up (one target answers then BYEs, the other is not registered)', { timeout: 30_000 }, async (t) => {
    const sdk = loadSdk('acs-sdk-160');
    const callbacks = await startReceiver();
    t.after(() => callbacks.close());
    const phone = runSipp({ scenario: 'uas-answer-send-bye.xml', localPort: trunkPort, args: ['-mp', String(await freeUdpPort())], timeoutMs: 15_000 });
    t.after(() => phone.then(() => {}));
    await new Promise((r) => setTimeout(r, 300));
    const created = await bot.client(sdk).createGroupCall([{ phoneNumber: PHONE }, { communicationUserId: '8:acs:dave' }], callbacks.url, { sourceCallIdNumber: { phoneNumber: CALLER_ID } });
    const ok = await waitForCallback(callbacks, sdk, 'AddParticipantSucceeded');
    assert.equal(ok.participant?.phoneNumber, PHONE);
    const failed = await waitForCallback(callbacks, sdk, 'AddParticipantFailed');
    assert.equal(failed.participant?.communicationUserId, '8:acs:dave');
    await waitForCallback(callbacks, sdk, 'CallDisconnected'); // not the conference idle timeout (10 min)
    const r = await phone;
    assert.equal(r.code, 0, explain(r));
    await checkCallbacks(bot, callbacks, sdk, created.callConnectionProperties.callConnectionId!);
  });

  test('acs-sdk-160: a group call whose every target fails is hung up (two unregistered ACS users: AddParticipantFailed ×2, CallDisconnected)', { timeout: 30_000 }, async (t) => {
    const sdk = loadSdk('acs-sdk-160');
    const callbacks = await startReceiver();
    t.after(() => callbacks.close());
    // Neither bob nor carol is registered: both invitations fail at once (not registered).
    const created = await bot.client(sdk).createGroupCall([{ communicationUserId: '8:acs:bob' }, { communicationUserId: '8:acs:carol' }], callbacks.url);
    await waitForCallback(callbacks, sdk, 'AddParticipantFailed', 0);
    await waitForCallback(callbacks, sdk, 'AddParticipantFailed', 1);
    await waitForCallback(callbacks, sdk, 'CallDisconnected');
    const kinds = await checkCallbacks(bot, callbacks, sdk, created.callConnectionProperties.callConnectionId!);
    // As in ACS: a group call is connected when a target answers — nobody did, so no CallConnected.
    assert.ok(!kinds.includes('CallConnected'), `no CallConnected when nobody answered: ${kinds.join(', ')}`);
  });
});
