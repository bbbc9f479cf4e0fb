// Participants end to end on a node with TWO media workers, real SIPp peers and the native API:
// SIPp calls the application's number (its audio is this test's UDP socket), the test answers
// through the API and adds a second SIPp UAS as a participant (its audio also ours). Checked as
// audio (Goertzel share of each tone in what each peer receives):
//  - both legs share one media worker (dialed near the first leg) and one conference mixer:
//    a 700 Hz tone from the caller is heard by the participant and 1100 Hz the other way; a
//    third SIPp party joins the same mix and hears both others, never itself;
//  - muting the caller stops the participant hearing it (the caller still hears), unmute restores;
//  - hold plays the default music (440 Hz) to the held participant, the caller stops hearing it;
//    unhold brings it back;
//  - DELETE participants/{legId} hangs the participant up (SIPp sees BYE), the call goes on;
//  - cancelAddParticipant CANCELs a UAS that only rings (SIPp sees CANCEL);
//  - participants.updated events count up from 1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import type { SwitchboardServer } from '../src/server/index.ts';
import { startNode } from './helpers/switchboard.ts';
import { injectApi } from './helpers/inject-api.ts';
import { createEventsService } from '../src/server/events-service.ts';
import { SipService } from '../src/server/sip-service.ts';
import { EngineMediaEndpoint } from '../src/adapters/index.ts';
import { applicationPrincipal, type Call, type Principal } from '../src/core/index.ts';
import { RtpPeer, dominantHz, rms, sine, toneShare, wait } from '../src/media/worker/test-rtp-peer.ts';

const haveSipp = sippAvailable();
const NUMBER = '+4930555666';
const KEY = 'participants-test-key-0123456789abcdef';
const HZ = { caller: 700, guest: 1100, third: 1500, music: 440 } as const; // music: DEFAULT_HOLD_MUSIC

describe('participants with SIPp, two media workers and the native API', { skip: !haveSipp && 'sipp missing', timeout: 90_000 }, () => {
  let dir: string;
  let server: SwitchboardServer;
  let sip: SipService;
  let principal: Principal;
  let target: string;

  before(async () => {
    ({ dir, server } = await startNode({
      yaml: `
applications:
  - name: conf-bot
    apiKeys: ["${KEY}"]
    numbers:
      - "${NUMBER}"
`,
      services: [(ctx) => new SipService(ctx, { mediaWorkers: 2 }), createEventsService],
    }));
    sip = server.service<SipService>('sip')!;
    const app = (await sip.callsWiring!.store.tenancy.applications.list()).find((a) => a.name === 'conf-bot')!;
    principal = applicationPrincipal(app.id);
    target = `127.0.0.1:${sip.ports.udp}`;
  });
  after(async () => {
    await server?.stop('test done');
    rmSync(dir, { recursive: true, force: true });
  });

  const { req, settled } = injectApi(() => server.http, KEY);
  /** An action that must be accepted (202); its operation as it stands. */
  const api = async (method: 'POST' | 'DELETE', url: string, payload?: object) => {
    const res = await req(method, url, payload);
    assert.equal(res.status, 202, `${method} ${url}: ${res.text}`);
    return res.body as { id: string; state: string };
  };

  test('add (mixer on one worker, tones both ways), mute/unmute, hold/unhold with music, remove (BYE), cancel (CANCEL)', { timeout: 80_000 }, async (t) => {
    const callerAudio = await RtpPeer.open();
    const guestAudio = await RtpPeer.open();
    const thirdAudio = await RtpPeer.open();
    try {
      const incoming = once(sip.calls, 'incoming') as Promise<[Call]>;
      const uac = runSipp({ scenario: 'core-uac-rtp-port-wait-bye.xml', target, service: NUMBER, args: ['-set', 'rtpport', String(callerAudio.port), '-mp', String(await freeUdpPort())], timeoutMs: 70_000 });
      const [call] = await incoming;
      assert.equal((await settled((await api('POST', `/v1/calls/${call.id}/answer`)).id)).state, 'completed');

      // Add the participant.
      const uasPort = await freeUdpPort();
      const uas = runSipp({ scenario: 'core-uas-answer-rtp-port.xml', localPort: uasPort, args: ['-set', 'rtpport', String(guestAudio.port), '-mp', String(await freeUdpPort())], timeoutMs: 70_000 });
      await wait(300); // SIPp listening
      const add = await api('POST', `/v1/calls/${call.id}/participants`, { target: { kind: 'sip', uri: `sip:uas@127.0.0.1:${uasPort}` }, invitationId: 'guest-1' });
      const added = await settled(add.id);
      assert.equal(added.state, 'completed', JSON.stringify(added));
      const live = sip.calls.getLive(principal, call.id)!;
      const callerLeg = live.primaryLeg!;
      const guestLeg = [...live.legs.values()].find((l) => l.role === 'participant')!;
      const cEp = callerLeg.media as EngineMediaEndpoint;
      const gEp = guestLeg.media as EngineMediaEndpoint;
      assert.equal(gEp.handle.workerIndex, cEp.handle.workerIndex, 'the participant\'s media lives in the caller\'s worker');
      assert.equal(live.mix.mode, 'mixed');

      /** Both talk for `seconds`; each one's share of each tone in what it heard (after 0.3 s). */
      const round = async (seconds = 1.2) => {
        const from = { c: callerAudio.rtp.length, g: guestAudio.rtp.length };
        await Promise.all([
          callerAudio.stream(cEp.handle.localPort, sine(HZ.caller, seconds, 8000, 6000)),
          guestAudio.stream(gEp.handle.localPort, sine(HZ.guest, seconds, 8000, 6000)),
        ]);
        await wait(150);
        const c = callerAudio.decoded(0, from.c).subarray(2400);
        const g = guestAudio.decoded(0, from.g).subarray(2400);
        const share = (x: Int16Array, hz: number) => (rms(x) < 30 ? 0 : toneShare(x, 8000, hz));
        return {
          callerHearsGuest: share(c, HZ.guest), guestHearsCaller: share(g, HZ.caller),
          // The music is gated (400 ms on, 1600 ms off): its share of a long window is small, but
          // it is the strongest frequency there.
          guestDominantHz: rms(g) < 30 ? 0 : dominantHz(g, 8000, 200, 2000, 5),
          text: `caller heard ${c.length} samples rms ${rms(c).toFixed(0)}, guest ${g.length} rms ${rms(g).toFixed(0)}`,
        };
      };

      const talk = await round();
      assert.ok(talk.guestHearsCaller > 0.3, `guest hears the caller: ${JSON.stringify(talk)}`);
      assert.ok(talk.callerHearsGuest > 0.3, `caller hears the guest: ${JSON.stringify(talk)}`);

      // A third party joins the same mixer: everyone hears the two others (mix-minus).
      const thirdPort = await freeUdpPort();
      const third = runSipp({ scenario: 'core-uas-answer-rtp-port.xml', localPort: thirdPort, args: ['-set', 'rtpport', String(thirdAudio.port), '-mp', String(await freeUdpPort())], timeoutMs: 70_000 });
      await wait(300);
      const add3 = await settled((await api('POST', `/v1/calls/${call.id}/participants`, { target: { kind: 'sip', uri: `sip:third@127.0.0.1:${thirdPort}` } })).id);
      assert.equal(add3.state, 'completed', JSON.stringify(add3));
      const thirdLeg = [...live.legs.values()].find((l) => l.role === 'participant' && l !== guestLeg)!;
      const tEp = thirdLeg.media as EngineMediaEndpoint;
      assert.equal(tEp.handle.workerIndex, cEp.handle.workerIndex);
      const from3 = { c: callerAudio.rtp.length, t: thirdAudio.rtp.length };
      await Promise.all([
        callerAudio.stream(cEp.handle.localPort, sine(HZ.caller, 1.2, 8000, 6000)),
        guestAudio.stream(gEp.handle.localPort, sine(HZ.guest, 1.2, 8000, 6000)),
        thirdAudio.stream(tEp.handle.localPort, sine(HZ.third, 1.2, 8000, 6000)),
      ]);
      await wait(150);
      const c3 = callerAudio.decoded(0, from3.c).subarray(2400);
      const t3 = thirdAudio.decoded(0, from3.t).subarray(2400);
      const three = { callerHearsGuest: toneShare(c3, 8000, HZ.guest), callerHearsThird: toneShare(c3, 8000, HZ.third), thirdHearsCaller: toneShare(t3, 8000, HZ.caller), thirdHearsGuest: toneShare(t3, 8000, HZ.guest), thirdHearsSelf: toneShare(t3, 8000, HZ.third) };
      assert.ok(three.callerHearsGuest > 0.2 && three.callerHearsThird > 0.2, `three parties: ${JSON.stringify(three)}`);
      assert.ok(three.thirdHearsCaller > 0.2 && three.thirdHearsGuest > 0.2 && three.thirdHearsSelf < 0.02, `three parties: ${JSON.stringify(three)}`);

      assert.equal((await settled((await api('POST', `/v1/calls/${call.id}/participants/${callerLeg.id}/mute`)).id)).state, 'completed');
      const muted = await round();
      assert.ok(muted.guestHearsCaller < 0.05, `muted caller is not heard: ${JSON.stringify(muted)}`);
      assert.ok(muted.callerHearsGuest > 0.3, `the muted caller still hears: ${JSON.stringify(muted)}`);
      assert.equal((await settled((await api('POST', `/v1/calls/${call.id}/participants/${callerLeg.id}/unmute`)).id)).state, 'completed');
      const unmuted = await round();
      assert.ok(unmuted.guestHearsCaller > 0.3, `unmuted caller is heard again: ${JSON.stringify(unmuted)}`);

      assert.equal((await settled((await api('POST', `/v1/calls/${call.id}/hold`, { legId: guestLeg.id })).id)).state, 'completed');
      const held = await round(2.4);
      assert.ok(Math.abs(held.guestDominantHz - HZ.music) <= 15, `the held guest hears the music: ${JSON.stringify(held)}`);
      assert.ok(held.guestHearsCaller < 0.05, `the held guest does not hear the caller: ${JSON.stringify(held)}`);
      assert.ok(held.callerHearsGuest < 0.05, `nobody hears the held guest: ${JSON.stringify(held)}`);
      assert.equal((await settled((await api('POST', `/v1/calls/${call.id}/unhold`, { legId: guestLeg.id })).id)).state, 'completed');
      const back = await round();
      const r3 = (x: Record<string, unknown>) => JSON.stringify(x, (_k, v) => (typeof v === 'number' ? Number(v.toFixed(3)) : v));
      t.diagnostic(`talk ${r3(talk)} three ${r3(three)} muted ${r3(muted)} held ${r3(held)} back ${r3(back)}`);
      assert.ok(back.guestHearsCaller > 0.3 && back.callerHearsGuest > 0.3, `back in the conversation: ${JSON.stringify(back)}`);

      // Remove: SIPp's UAS must see our BYE; the call goes on.
      assert.equal((await settled((await api('DELETE', `/v1/calls/${call.id}/participants/${guestLeg.id}`)).id)).state, 'completed');
      const uasRes = await uas;
      assert.equal(uasRes.code, 0, explain(uasRes));
      assert.equal(live.state, 'established');

      // Cancel a ringing invitation: SIPp must see the CANCEL.
      const ringPort = await freeUdpPort();
      const ringer = runSipp({ scenario: 'core-uas-ring-expect-cancel.xml', localPort: ringPort, args: ['-mp', String(await freeUdpPort())], timeoutMs: 30_000 });
      await wait(300);
      const ring = await api('POST', `/v1/calls/${call.id}/participants`, { target: { kind: 'sip', uri: `sip:ring@127.0.0.1:${ringPort}` }, invitationId: 'ring-1', ringTimeoutMs: 20_000 });
      for (let i = 0; i < 100 && ![...live.legs.values()].some((l) => l.state === 'ringing'); i++) await wait(50);
      const cancel = await api('POST', `/v1/calls/${call.id}/participants/cancel`, { invitationId: 'ring-1' });
      assert.equal((await settled(cancel.id)).state, 'completed');
      assert.equal((await settled(ring.id)).state, 'cancelled');
      const ringRes = await ringer;
      assert.equal(ringRes.code, 0, explain(ringRes));

      const missing = await req('POST', `/v1/calls/${call.id}/participants/no-such-leg/mute`);
      assert.equal(missing.status, 404, missing.text);
      assert.equal(missing.body.error.code, 'LEG_NOT_FOUND');

      await settled((await api('POST', `/v1/calls/${call.id}/hangup`)).id);
      const uacRes = await uac;
      assert.equal(uacRes.code, 0, explain(uacRes));
      const thirdRes = await third;
      assert.equal(thirdRes.code, 0, `the third party got BYE when the call ended: ${explain(thirdRes)}`);

      await live.journal.settled();
      const rows = await sip.callsWiring!.store.db.selectFrom('events').select(['type', 'data']).where('call_id', '=', call.id).orderBy('seq').execute();
      const updates = rows.filter((r) => r.type === 'participants.updated').map((r) => JSON.parse(r.data) as { sequence: number; participants: { legId: string; muted: boolean; onHold: boolean }[] });
      assert.deepEqual(updates.map((u) => u.sequence), updates.map((_u, i) => i + 1), 'sequence counts up from 1');
      assert.ok(updates.some((u) => u.participants.some((p) => p.legId === callerLeg.id && p.muted)), 'a roster with the caller muted');
      assert.ok(updates.some((u) => u.participants.some((p) => p.legId === guestLeg.id && p.onHold)), 'a roster with the guest on hold');
      for (const t of ['addParticipant.completed', 'muteParticipant.completed', 'hold.completed', 'removeParticipant.completed', 'addParticipant.cancelled', 'cancelAddParticipant.completed']) {
        assert.ok(rows.some((r) => r.type === t), `event ${t}`);
      }
    } finally {
      callerAudio.close();
      guestAudio.close();
      thirdAudio.close();
    }
  });
});
