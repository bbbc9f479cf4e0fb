// ACS face end to end, moveParticipants (SDK 1.6.0 participants:moveHere) and an ACS user as a
// createCall target, with the official SDK as the only client and SIPp as the phones:
// alice (a SIPp UAC) registers; call A = createCall(8:acs:alice) reaches her SIPp UAS on her
// binding; call B = createCall(phone number) reaches a SIPp UAS through the trunk; then
// B.moveParticipants([alice], A) → 202 {fromCall} → MoveParticipantSucceeded {participant, fromCall}
// on B's callbacks, A (its last party gone) → CallDisconnected, B lists both parties, alice was NOT
// hung up by the move (her SIPp still runs) and — checked as audio, Goertzel share — alice and
// the phone now hear each other (700 / 1100 Hz tones) → hangUp B → both phones get their BYE.
// Bad input through the SDK: unknown fromCall 404, fromCall = this call 400, a participant that
// is not in fromCall 404. Every callback parses with parseCallAutomationEvent and carries a valid
// Bearer JWT.
//
// Two media workers (SWITCHBOARD_MEDIA_WORKERS=2, set before the node starts): the two createCalls
// may land in different workers; the move then joins the leg to the other call's mixer through a
// cross-worker relay pair (docs/media.md "Across workers") and must work all the same.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { explain, freeUdpPort, runSipp, sippAvailable, type SippResult } from './helpers/sipp.ts';
import { startReceiver } from './helpers/webhook-receiver.ts';
import { checkCallbacks, loadSdk, startAcsBotWithTrunkAndAlice, typeOf, waitForCallback, waitForRequest, type AcsBotNode } from './helpers/acs-sdk-bot.ts';
import { RtpPeer, rms, sine, toneShare, wait } from '../src/media/worker/test-rtp-peer.ts';
import type { EngineMediaEndpoint } from '../src/adapters/index.ts';
import type { SipService } from '../src/server/sip-service.ts';
import { applicationPrincipal, type Participant } from '../src/core/index.ts';

const PHONE = '+4930555801';
const CALLER_ID = '+4930777200';
const ALICE = '8:acs:alice';

describe('ACS face: moveParticipants between two calls, an ACS user as createCall target — SDK 1.6.0 only', { skip: !sippAvailable() && 'sipp missing', timeout: 60_000 }, () => {
  let bot: AcsBotNode;
  let trunkPort = 0;
  let alicePort = 0;
  before(async () => {
    process.env.SWITCHBOARD_MEDIA_WORKERS = '2';
    ({ bot, trunkPort, alicePort } = await startAcsBotWithTrunkAndAlice(CALLER_ID));
  });
  after(async () => { await bot?.stop(); });

  test('createCall(8:acs:alice) = A, createCall(phone) = B, B.moveParticipants([alice], A) → MoveParticipantSucceeded, A disconnected, alice still up', { timeout: 40_000 }, async (t) => {
    const sdk = loadSdk('acs-sdk-160');
    const cbA = await startReceiver();
    const cbB = await startReceiver();
    t.after(() => Promise.all([cbA.close(), cbB.close()]));
    const runs: Promise<SippResult>[] = [];
    t.after(() => Promise.allSettled(runs));
    // Each phone's audio is this test's own UDP socket (the UAS answers with its port).
    const aliceAudio = await RtpPeer.open();
    const phoneAudio = await RtpPeer.open();
    t.after(() => { aliceAudio.close(); phoneAudio.close(); });
    let aliceDone = false;
    const alice = runSipp({ scenario: 'core-uas-answer-rtp-port.xml', localPort: alicePort, args: ['-set', 'rtpport', String(aliceAudio.port), '-mp', String(await freeUdpPort())], timeoutMs: 35_000 });
    void alice.then(() => { aliceDone = true; });
    const phone = runSipp({ scenario: 'core-uas-answer-rtp-port.xml', localPort: trunkPort, args: ['-set', 'rtpport', String(phoneAudio.port), '-mp', String(await freeUdpPort())], timeoutMs: 35_000 });
    runs.push(alice, phone);
    await new Promise((r) => setTimeout(r, 300));
    const client = bot.client(sdk);

    // A: the ACS user alice, reached on her registered contact.
    const a = await client.createCall({ targetParticipant: { communicationUserId: ALICE } }, cbA.url, { operationContext: 'call-a' });
    const idA = a.callConnectionProperties.callConnectionId!;
    await waitForCallback(cbA, sdk, 'CallConnected').catch(async (e: Error) => { throw new Error(`${e.message}\n${explain(await alice)}`); });
    // B: a phone number through the trunk.
    const b = await client.createCall({ targetParticipant: { phoneNumber: PHONE }, sourceCallIdNumber: { phoneNumber: CALLER_ID } }, cbB.url, { operationContext: 'call-b' });
    const idB = b.callConnectionProperties.callConnectionId!;
    await waitForCallback(cbB, sdk, 'CallConnected').catch(async (e: Error) => { throw new Error(`${e.message}\n${explain(await phone)}`); });

    const refused = (p: Promise<unknown>) => p.then(() => undefined, (e: { statusCode?: number; code?: string }) => [e.statusCode, e.code]);
    assert.deepEqual(await refused(b.callConnection.moveParticipants([{ communicationUserId: ALICE }], 'no-such-call')), [404, 'NotFound'], 'unknown fromCall');
    assert.deepEqual(await refused(b.callConnection.moveParticipants([{ communicationUserId: ALICE }], idB)), [400, 'BadRequest'], 'fromCall is this call');
    assert.deepEqual(await refused(b.callConnection.moveParticipants([{ phoneNumber: '+4930555999' }], idA)), [404, 'NotFound'], 'not in fromCall');
    assert.equal((await a.callConnection.listParticipants()).values?.length, 1, 'refused moves change nothing');

    const moved = await b.callConnection.moveParticipants([{ communicationUserId: ALICE }], idA, { operationContext: 'move' });
    assert.equal(moved.fromCall, idA);
    assert.equal(moved.operationContext, 'move');
    const ok = await waitForCallback(cbB, sdk, 'MoveParticipantSucceeded');
    assert.equal(ok.participant?.communicationUserId, ALICE);
    assert.equal(ok.fromCall, idA);
    assert.equal(ok.operationContext, 'move');
    await waitForCallback(cbA, sdk, 'CallDisconnected'); // A's only party left

    const listed = ((await b.callConnection.listParticipants()).values ?? [])
      .map((p) => (p.identifier as { phoneNumber?: string }).phoneNumber ?? (p.identifier as { communicationUserId?: string }).communicationUserId).sort();
    assert.deepEqual(listed, [PHONE, ALICE].sort(), 'alice is now in B');
    await waitForRequest(cbB, (q) => typeOf(q) === 'ParticipantsUpdated'
      && ((sdk.parseCallAutomationEvent(q.body) as unknown as { participants?: unknown[] }).participants?.length === 2), 'ParticipantsUpdated in B with both');
    assert.equal(aliceDone, false, 'the move did not hang alice up');

    // Checked as audio: in B, alice and the phone hear each other (and not themselves).
    const live = (bot.node.server.service('sip') as unknown as SipService).calls.getLive(applicationPrincipal(bot.appId), idB)!;
    const portOf = (pred: (p: Participant) => boolean) => ([...live.legs.values()].find((l) => l.live && pred(l.participant))!.media as EngineMediaEndpoint).handle.localPort;
    const alicePortB = portOf((p) => p.kind === 'sip' && p.uri.startsWith('sip:alice@'));
    const phonePortB = portOf((p) => p.kind === 'phone');
    const from = { a: aliceAudio.rtp.length, p: phoneAudio.rtp.length };
    await Promise.all([aliceAudio.stream(alicePortB, sine(700, 1.2, 8000, 6000)), phoneAudio.stream(phonePortB, sine(1100, 1.2, 8000, 6000))]);
    await wait(150);
    const share = (x: Int16Array, hz: number) => (rms(x) < 30 ? 0 : toneShare(x, 8000, hz));
    const heardByAlice = aliceAudio.decoded(0, from.a).subarray(2400);
    const heardByPhone = phoneAudio.decoded(0, from.p).subarray(2400);
    const talk = { aliceHearsPhone: share(heardByAlice, 1100), phoneHearsAlice: share(heardByPhone, 700), aliceHearsSelf: share(heardByAlice, 700) };
    t.diagnostic(`after the move ${JSON.stringify(talk)}`);
    assert.ok(talk.aliceHearsPhone > 0.3, `alice hears the phone: ${JSON.stringify(talk)}`);
    assert.ok(talk.phoneHearsAlice > 0.3, `the phone hears alice: ${JSON.stringify(talk)}`);
    assert.ok(talk.aliceHearsSelf < 0.05, `alice does not hear herself: ${JSON.stringify(talk)}`);
    assert.equal(aliceDone, false, 'alice is still up');

    await b.callConnection.hangUp(true);
    await waitForCallback(cbB, sdk, 'CallDisconnected');
    const [ra, rp] = await Promise.all([alice, phone]);
    assert.equal(ra.code, 0, explain(ra));
    assert.match(ra.messages, /INVITE sip:alice@127\.0\.0\.1:/, 'alice was reached on her registered contact');
    assert.equal((ra.messages.match(/BYE sip:/g) ?? []).length, 1, 'alice got exactly one BYE (at the end of B)');
    assert.equal(rp.code, 0, explain(rp));

    const kindsA = await checkCallbacks(bot, cbA, sdk, idA);
    const kindsB = await checkCallbacks(bot, cbB, sdk, idB);
    assert.ok(!kindsA.includes('MoveParticipantSucceeded'), 'the move result goes to the call it was asked of');
    for (const k of ['CallConnected', 'MoveParticipantSucceeded', 'ParticipantsUpdated', 'CallDisconnected']) assert.ok(kindsB.includes(k), `${k} in ${kindsB.join(', ')}`);
  });
});
