// ACS face end to end, conferences by locator, with the official SDK 1.6.0 as the only client and
// SIPp on the phone side: connectCall({kind: 'groupCallLocator', id}) opens a conference with no
// first leg → 200 CallConnectionProperties (connected) → CallConnected callback → a second
// connectCall with the same group id reaches the same call, a roomCallLocator with the same id
// does not (another locator) → addParticipant of a phone number (out through the YAML trunk to a
// SIPp UAS, which answers) → AddParticipantSucceeded → listParticipants shows it →
// hangUp(true) → CallDisconnected and the UAS got a BYE. Every callback parses with
// parseCallAutomationEvent and carries a valid Bearer JWT.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startReceiver } from './helpers/webhook-receiver.ts';
import { checkCallbacks, loadSdk, startAcsBotNode, typeOf, waitForCallback, waitForRequest, type AcsBotNode } from './helpers/acs-sdk-bot.ts';

const NUMBER = '+4930777999';
const ADDED = '+4930555011';

describe('ACS face: connect by groupCallLocator / roomCallLocator (conference), SDK 1.6.0, SIPp party', { skip: !sippAvailable() && 'sipp missing', timeout: 60_000 }, () => {
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

  test('acs-sdk-160: connectCall(groupCallLocator) → CallConnected → addParticipant → AddParticipantSucceeded → hangUp(true)', { timeout: 40_000 }, async (t) => {
    const sdk = loadSdk('acs-sdk-160');
    const callbacks = await startReceiver();
    t.after(() => callbacks.close());
    const client = bot.client(sdk);
    const groupId = `group-${Date.now()}`;

    const connected = await client.connectCall({ kind: 'groupCallLocator', id: groupId }, callbacks.url, { operationContext: 'meet' });
    const props = connected.callConnectionProperties;
    const callId = props.callConnectionId!;
    assert.ok(callId, 'a call connection id');
    assert.equal(props.callConnectionState, 'connected', 'a conference is connected at once');
    assert.equal((props as { callbackUri?: string }).callbackUri, callbacks.url);
    const cc = await waitForCallback(callbacks, sdk, 'CallConnected');
    assert.equal(cc.callConnectionId, callId);

    // Same group → same conference; a room with the same id is another locator → another call.
    const again = await client.connectCall({ kind: 'groupCallLocator', id: groupId }, callbacks.url);
    assert.equal(again.callConnectionProperties.callConnectionId, callId);
    const room = await client.connectCall({ kind: 'roomCallLocator', id: groupId }, callbacks.url);
    const roomId = room.callConnectionProperties.callConnectionId!;
    assert.notEqual(roomId, callId);
    await room.callConnection.hangUp(true);
    const refused = await client.connectCall({ kind: 'groupCallLocator', id: '' }, callbacks.url).then(() => undefined, (e: { statusCode?: number; code?: string }) => [e.statusCode, e.code]);
    assert.deepEqual(refused, [400, 'BadRequest'], 'a group call locator needs its id');

    // A party joins: out through the trunk to SIPp, which answers.
    const uas = runSipp({ scenario: 'calls-uas-answer.xml', localPort: trunkPort, args: ['-mp', String(await freeUdpPort())], timeoutMs: 25_000 });
    await new Promise((r) => setTimeout(r, 300));
    const conn = connected.callConnection;
    const add = await conn.addParticipant({ targetParticipant: { phoneNumber: ADDED } }, { operationContext: 'join-1', invitationTimeoutInSeconds: 10 });
    assert.ok(add.invitationId, 'the 202 names the invitation');
    const added = await waitForCallback(callbacks, sdk, 'AddParticipantSucceeded').catch(async (e: Error) => { throw new Error(`${e.message}\n${explain(await uas)}`); });
    assert.equal(added.participant?.phoneNumber, ADDED);
    assert.equal(added.operationContext, 'join-1');
    const list = await conn.listParticipants();
    assert.deepEqual((list.values ?? []).map((p) => (p.identifier as { phoneNumber?: string }).phoneNumber), [ADDED]);

    await conn.hangUp(true);
    // (The room call's CallDisconnected came to the same URL earlier: wait for this call's.)
    const callOf = (q: { body: string }) => (JSON.parse(q.body) as { data?: { callConnectionId?: string } }[])[0]?.data?.callConnectionId;
    await waitForRequest(callbacks, (q) => typeOf(q) === 'CallDisconnected' && callOf(q) === callId, 'CallDisconnected of the conference');
    const res = await uas;
    assert.equal(res.code, 0, `the party got BYE when the conference ended: ${explain(res)}`);

    // Callbacks of both calls reached this URL; check each call's own.
    const mine = { received: callbacks.received.filter((q) => callOf(q) === callId) };
    const kinds = await checkCallbacks(bot, mine as typeof callbacks, sdk, callId);
    t.diagnostic(`callbacks: ${kinds.join(', ')}`);
    for (const k of ['CallConnected', 'AddParticipantSucceeded', 'CallDisconnected']) assert.ok(kinds.includes(k), `${k} in ${kinds.join(', ')}`);
  });
});
