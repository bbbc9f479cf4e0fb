// ACS face end to end, participants, with the official SDK as the only client and SIPp on the
// phone side: a SIPp caller rings the application's number → Event Grid IncomingCall → the bot
// answers → addParticipant of a phone number (out through the YAML trunk to a SIPp UAS) →
// AddParticipantSucceeded → listParticipants shows both → muteParticipant → isMuted → hold /
// unhold the caller (isOnHold true then false; no HoldFailed) → removeParticipant →
// RemoveParticipantSucceeded and the UAS got a BYE → addParticipant to a UAS that only rings,
// cancelAddParticipantOperation → CancelAddParticipantSucceeded (+ AddParticipantFailed 8508)
// and that UAS saw CANCEL → transferCallToParticipant to a third UAS (the caller refuses REFER,
// so Switchboard dials and bridges) → CallTransferAccepted → hang up. Every callback parses with
// parseCallAutomationEvent and carries a valid Bearer JWT.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { explain, freeUdpPort, runSipp, sippAvailable, type SippResult } from './helpers/sipp.ts';
import { startReceiver } from './helpers/webhook-receiver.ts';
import { checkCallbacks, loadSdk, SDKS, startAcsBotNode, typeOf, waitForCallback, waitForRequest, type AcsBotNode } from './helpers/acs-sdk-bot.ts';

const NUMBER = '+4930777888';
const CALLER = '+4915112345678';
const ADDED = '+4930555001';
const RINGING = '+4930555002';
const TRANSFER_TO = '+4930555003';

describe('ACS face: participants, mute, hold, cancel add, transfer — SDK only, SIPp peers', { skip: !sippAvailable() && 'sipp missing', timeout: 150_000 }, () => {
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

  for (const v of SDKS.filter((x) => !process.env.ACS_SDK || x === process.env.ACS_SDK)) {
    test(`${v}: add → list → mute → hold/unhold → remove → cancel add → transfer`, { timeout: 60_000 }, async (t) => {
      const sdk = loadSdk(v);
      bot.eventGrid.received.length = 0;
      const callbacks = await startReceiver();
      t.after(() => callbacks.close());
      /** The carrier side: one SIPp UAS at a time on the trunk's port. */
      // (Wrapped in an object: an async function returning the run's promise would await it.)
      // Every SIPp run is awaited after the test (each ends by itself within its timeout), so a
      // failed assertion cannot leave a SIPp behind when the runner exits.
      const runs: Promise<SippResult>[] = [];
      t.after(() => Promise.allSettled(runs));
      const carrier = async (scenario: string): Promise<{ run: Promise<SippResult> }> => {
        const run = runSipp({ scenario, localPort: trunkPort, args: ['-mp', String(await freeUdpPort())], timeoutMs: 25_000 });
        runs.push(run);
        await new Promise((r) => setTimeout(r, 300));
        return { run };
      };
      const caller = runSipp({ scenario: 'acs-uac-refuse-refer-wait-bye.xml', target: bot.node.sip, service: NUMBER, args: ['-mp', String(await freeUdpPort())], timeoutMs: 55_000 });
      runs.push(caller);
      const incoming = await waitForRequest(bot.eventGrid, () => true, 'IncomingCall').catch(async (e: Error) => { throw new Error(`${e.message}\n${explain(await caller)}`); });
      const [ev] = JSON.parse(incoming.body) as { data: { incomingCallContext: string } }[];
      const T0 = Date.now(); const mark = (w: string) => { if (process.env.ACS_DEBUG) console.log(`[${Date.now() - T0} ms] ${w}`); };
      const answered = await bot.client(sdk).answerCall(ev.data.incomingCallContext, `${callbacks.url}?sdk=${v}`);
      const callId = answered.callConnectionProperties.callConnectionId!;
      const conn = answered.callConnection;
      mark('answered');
      await waitForCallback(callbacks, sdk, 'CallConnected');
      mark('CallConnected');

      // Add a phone number: out through the trunk to SIPp, which answers.
      const { run: uas1 } = await carrier('calls-uas-answer.xml');
      const add = await conn.addParticipant({ targetParticipant: { phoneNumber: ADDED } }, { operationContext: 'add-1', invitationTimeoutInSeconds: 10 });
      mark('add 202');
      assert.ok(add.invitationId, 'the 202 names the invitation');
      const added = await waitForCallback(callbacks, sdk, 'AddParticipantSucceeded').catch(async (e: Error) => { throw new Error(`${e.message}\n${explain(await uas1)}`); });
      assert.equal(added.participant?.phoneNumber, ADDED);
      assert.equal(added.operationContext, 'add-1');
      const list = await conn.listParticipants();
      const ids = (list.values ?? []).map((p) => (p.identifier as { phoneNumber?: string }).phoneNumber).sort();
      assert.deepEqual(ids, [ADDED, CALLER].sort(), 'caller and the added party are in the call');

      // Bad input gets ACS's error shape through the SDK, and nothing changes.
      const refused = (p: Promise<unknown>) => p.then(() => undefined, (e: { statusCode?: number; code?: string }) => [e.statusCode, e.code]);
      assert.deepEqual(await refused(conn.addParticipant({ targetParticipant: { phoneNumber: ADDED } }, { invitationTimeoutInSeconds: 500 })), [400, 'BadRequest']);
      assert.deepEqual(await refused(conn.addParticipant({ targetParticipant: { phoneNumber: '12345' } })), [400, 'BadRequest'], 'not E.164');
      assert.deepEqual(await refused(conn.removeParticipant({ phoneNumber: '+4930555999' })), [404, 'NotFound']);
      assert.deepEqual(await refused(conn.muteParticipant({ phoneNumber: '+4930555999' })), [404, 'NotFound']);
      assert.deepEqual(await refused(conn.getCallMedia().hold({ phoneNumber: '+4930555999' })), [404, 'NotFound']);
      if (typeof (conn as unknown as { moveParticipants?: unknown }).moveParticipants === 'function') {
        // 1.6.0's participants:moveHere from a call that does not exist (moves: test/acs-sdk-move.test.ts).
        assert.deepEqual(await refused((conn as unknown as { moveParticipants(t: unknown[], from: string): Promise<unknown> }).moveParticipants([{ phoneNumber: ADDED }], 'other-call')), [404, 'NotFound']);
      }
      assert.equal((await conn.listParticipants()).values?.length, 2);

      // Mute (ACS has no REST unmute; SDK 1.6.0 has no unmuteParticipant).
      assert.equal(typeof (conn as unknown as { unmuteParticipant?: unknown }).unmuteParticipant, 'undefined');
      await conn.muteParticipant({ phoneNumber: ADDED }, { operationContext: 'mute' });
      const muted = await conn.getParticipant({ phoneNumber: ADDED });
      assert.equal(muted.isMuted, true);
      assert.equal((await conn.getParticipant({ phoneNumber: CALLER })).isMuted, false);

      // Hold and unhold the caller; a bot learns the roster from ParticipantsUpdated.
      const rosterShows = (pred: (u: { participants?: { identifier: { phoneNumber?: string }; isMuted?: boolean; isOnHold?: boolean }[] }) => boolean, what: string) =>
        waitForRequest(callbacks, (q) => typeOf(q) === 'ParticipantsUpdated' && pred(sdk.parseCallAutomationEvent(q.body) as never), what);
      const callerHeld = (held: boolean) => (u: { participants?: { identifier: { phoneNumber?: string }; isOnHold?: boolean }[] }) =>
        u.participants?.some((p) => p.identifier.phoneNumber === CALLER && p.isOnHold === held) === true;
      await conn.getCallMedia().hold({ phoneNumber: CALLER }, { operationContext: 'hold' });
      await rosterShows(callerHeld(true), 'ParticipantsUpdated with the caller on hold');
      assert.equal((await conn.getParticipant({ phoneNumber: CALLER })).isOnHold, true);
      assert.equal((await conn.getParticipant({ phoneNumber: ADDED })).isOnHold, false);
      const updatesBefore = callbacks.received.length;
      await conn.getCallMedia().unhold({ phoneNumber: CALLER }, { operationContext: 'unhold' });
      await waitForRequest(callbacks, (q) => callbacks.received.indexOf(q) >= updatesBefore && typeOf(q) === 'ParticipantsUpdated'
        && callerHeld(false)(sdk.parseCallAutomationEvent(q.body) as never), 'ParticipantsUpdated with the caller back');
      assert.equal((await conn.getParticipant({ phoneNumber: CALLER })).isOnHold, false);

      // Remove the added party: it gets a BYE.
      await conn.removeParticipant({ phoneNumber: ADDED }, { operationContext: 'remove' });
      const removed = await waitForCallback(callbacks, sdk, 'RemoveParticipantSucceeded');
      assert.equal(removed.participant?.phoneNumber, ADDED);
      const r1 = await uas1;
      assert.equal(r1.code, 0, explain(r1));
      assert.match(r1.messages, new RegExp(`INVITE sip:\\${ADDED}@`));
      assert.match(r1.messages, /BYE sip:/);

      // Invite a party that only rings, then withdraw the invitation: it sees CANCEL.
      const { run: uas2 } = await carrier('acs-uas-ring-expect-cancel.xml');
      const ringing = await conn.addParticipant({ targetParticipant: { phoneNumber: RINGING } }, { operationContext: 'add-2', invitationTimeoutInSeconds: 20 });
      await new Promise((r) => setTimeout(r, 1000)); // the INVITE reaches the UAS and rings
      await conn.cancelAddParticipantOperation(ringing.invitationId!, { operationContext: 'cancel' });
      const cancelled = await waitForCallback(callbacks, sdk, 'CancelAddParticipantSucceeded');
      assert.equal(cancelled.invitationId, ringing.invitationId);
      const failedAdd = await waitForCallback(callbacks, sdk, 'AddParticipantFailed');
      assert.equal(failedAdd.participant?.phoneNumber, RINGING);
      assert.deepEqual([failedAdd.resultInformation?.code, failedAdd.resultInformation?.subCode], [487, 8508], 'ACS: canceled');
      const r2 = await uas2;
      assert.equal(r2.code, 0, explain(r2));
      assert.match(r2.messages, /CANCEL sip:/);

      // An invitation that does not exist: accepted (202), then CancelAddParticipantFailed.
      await conn.cancelAddParticipantOperation('no-such-invitation');
      const notPending = await waitForCallback(callbacks, sdk, 'CancelAddParticipantFailed');
      assert.equal(notPending.invitationId, 'no-such-invitation');
      assert.deepEqual([notPending.resultInformation?.code, notPending.resultInformation?.subCode], [404, 8522], 'ACS: not found');

      // The roster went out as ParticipantsUpdated: the added party muted, the caller on hold at some point.
      const updates = callbacks.received.filter((q) => typeOf(q) === 'ParticipantsUpdated')
        .map((q) => sdk.parseCallAutomationEvent(q.body) as unknown as { sequenceNumber?: number; participants?: { identifier: { phoneNumber?: string }; isMuted?: boolean; isOnHold?: boolean }[] });
      assert.ok(updates.length >= 3, `ParticipantsUpdated ×${updates.length}`);
      const seqs = updates.map((u) => u.sequenceNumber ?? -1);
      assert.deepEqual(seqs, [...seqs].sort((a, z) => a - z), 'sequence numbers grow');
      assert.ok(updates.some((u) => u.participants?.some((p) => p.identifier.phoneNumber === ADDED && p.isMuted)), 'muted shown');
      assert.ok(updates.some((u) => u.participants?.some((p) => p.identifier.phoneNumber === CALLER && p.isOnHold)), 'hold shown');
      assert.ok(updates.some((u) => u.participants?.length === 1 && u.participants[0].identifier.phoneNumber === CALLER), 'after the removal only the caller');

      // Transfer the caller to a third party (REFER refused by the caller → dialed and bridged).
      const { run: uas3 } = await carrier('calls-uas-answer.xml');
      assert.deepEqual(await refused(conn.transferCallToParticipant({ phoneNumber: TRANSFER_TO }, { transferee: { phoneNumber: '+4930555999' } })), [404, 'NotFound'], 'transferee not in the call');
      await conn.transferCallToParticipant({ phoneNumber: TRANSFER_TO }, { operationContext: 'transfer', transferee: { phoneNumber: CALLER } });
      const accepted = await waitForCallback(callbacks, sdk, 'CallTransferAccepted').catch(async (e: Error) => { throw new Error(`${e.message}\n${explain(await uas3)}`); });
      assert.equal(accepted.operationContext, 'transfer');

      await conn.hangUp(true);
      await waitForCallback(callbacks, sdk, 'CallDisconnected');
      const [rc, r3] = await Promise.all([caller, uas3]);
      assert.equal(rc.code, 0, explain(rc));
      assert.match(rc.messages, /REFER sip:/, 'the caller was asked to transfer first');
      assert.equal(r3.code, 0, explain(r3));
      assert.match(r3.messages, new RegExp(`INVITE sip:\\${TRANSFER_TO}@`));

      const kinds = await checkCallbacks(bot, callbacks, sdk, callId);
      assert.ok(!kinds.includes('HoldFailed'), kinds.join(', '));
      for (const k of ['CallConnected', 'AddParticipantSucceeded', 'ParticipantsUpdated', 'RemoveParticipantSucceeded', 'CancelAddParticipantSucceeded', 'AddParticipantFailed', 'CancelAddParticipantFailed', 'CallTransferAccepted', 'CallDisconnected']) {
        assert.ok(kinds.includes(k), `${k} in ${kinds.join(', ')}`);
      }
    });
  }
});
