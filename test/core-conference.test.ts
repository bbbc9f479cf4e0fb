// Conferences without a first leg (a meeting) end to end: a node with TWO media workers, the
// native API and real SIPp UASs whose audio is this test's UDP sockets.
//  - POST /v1/conferences opens a call with no leg, established at once (201); the same locator
//    again is the same call (200); another application's same locator is another conference;
//    a bad locator is 400 VALIDATION_FAILED;
//  - two SIPp parties invited AT ONCE (nothing to dial near yet) land in one media worker and one
//    mixer; checked as audio (Goertzel share): each hears the other's tone (700 / 1100 Hz);
//  - removing one (SIPp sees BYE) keeps the conference; removing the last keeps it too, until
//    the short idle timeout of this test (idleTimeoutMs) ends it: reason 'idle-timeout';
//  - the call CDR and both leg CDRs exist; call.created / call.answered / call.ended journaled.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import type { SwitchboardServer } from '../src/server/index.ts';
import { startNode } from './helpers/switchboard.ts';
import { injectApi } from './helpers/inject-api.ts';
import { createEventsService } from '../src/server/events-service.ts';
import { SipService } from '../src/server/sip-service.ts';
import { EngineMediaEndpoint } from '../src/adapters/index.ts';
import { applicationPrincipal, type Principal } from '../src/core/index.ts';
import { RtpPeer, rms, sine, toneShare, wait } from '../src/media/worker/test-rtp-peer.ts';

const haveSipp = sippAvailable();
const KEY = 'conference-test-key-0123456789abcdef';
const KEY2 = 'conference-test-key2-0123456789abcdef';
const HZ = { a: 700, b: 1100 } as const;
const IDLE_MS = 4000;

describe('conferences without a first leg, SIPp parties, two media workers, native API', { skip: !haveSipp && 'sipp missing', timeout: 60_000 }, () => {
  let dir: string;
  let server: SwitchboardServer;
  let sip: SipService;
  let principal: Principal;

  before(async () => {
    ({ dir, server } = await startNode({
      yaml: `
applications:
  - name: meeting-bot
    apiKeys: ["${KEY}"]
  - name: other-bot
    apiKeys: ["${KEY2}"]
`,
      services: [(ctx) => new SipService(ctx, { mediaWorkers: 2 }), createEventsService],
    }));
    sip = server.service<SipService>('sip')!;
    const app = (await sip.callsWiring!.store.tenancy.applications.list()).find((a) => a.name === 'meeting-bot')!;
    principal = applicationPrincipal(app.id);
  });
  after(async () => {
    await server?.stop('test done');
    rmSync(dir, { recursive: true, force: true });
  });

  const { req, settled } = injectApi(() => server.http, KEY);

  test('open by locator (idempotent, per application), two parties hear each other, remove, idle timeout, CDR', { timeout: 55_000 }, async (t) => {
    const aAudio = await RtpPeer.open();
    const bAudio = await RtpPeer.open();
    try {
      const bad = await req('POST', '/v1/conferences', { locator: '' });
      assert.equal(bad.status, 400, bad.text);
      assert.equal(bad.body.error.code, 'VALIDATION_FAILED');

      // The SIPp parties listen first, so the conference's idle timer is not what we measure.
      const aPort = await freeUdpPort();
      const bPort = await freeUdpPort();
      const uasA = runSipp({ scenario: 'core-uas-answer-rtp-port.xml', localPort: aPort, args: ['-set', 'rtpport', String(aAudio.port), '-mp', String(await freeUdpPort())], timeoutMs: 45_000 });
      const uasB = runSipp({ scenario: 'core-uas-answer-rtp-port.xml', localPort: bPort, args: ['-set', 'rtpport', String(bAudio.port), '-mp', String(await freeUdpPort())], timeoutMs: 45_000 });
      await wait(300); // SIPp listening

      const opened = await req('POST', '/v1/conferences', { locator: 'standup', idleTimeoutMs: IDLE_MS });
      assert.equal(opened.status, 201, opened.text);
      const id = opened.body.id as string;
      assert.equal(opened.body.state, 'established');
      assert.equal(opened.body.direction, 'outbound');
      assert.equal(opened.body.locator, 'standup');
      assert.deepEqual(opened.body.legs, []);
      const again = await req('POST', '/v1/conferences', { locator: 'standup' });
      assert.equal(again.status, 200, again.text);
      assert.equal(again.body.id, id, 'the same locator reaches the same conference');
      const other = await req('POST', '/v1/conferences', { locator: 'standup' }, KEY2);
      assert.equal(other.status, 201, other.text);
      assert.notEqual(other.body.id, id, 'another application\'s locator is another conference');
      assert.equal((await req('GET', `/v1/calls/${other.body.id as string}`, undefined, KEY2)).status, 200);
      assert.equal((await req('GET', `/v1/calls/${id}`, undefined, KEY2)).status, 404, 'and it cannot see ours');

      // Both invited at once: nothing to dial near yet, the registry places them one after the other.
      const [addA, addB] = await Promise.all([
        req('POST', `/v1/calls/${id}/participants`, { target: { kind: 'sip', uri: `sip:a@127.0.0.1:${aPort}` } }),
        req('POST', `/v1/calls/${id}/participants`, { target: { kind: 'sip', uri: `sip:b@127.0.0.1:${bPort}` } }),
      ]);
      assert.equal(addA.status, 202, addA.text);
      assert.equal(addB.status, 202, addB.text);
      const [doneA, doneB] = await Promise.all([settled(addA.body.id as string), settled(addB.body.id as string)]);
      assert.equal(doneA.state, 'completed', JSON.stringify(doneA));
      assert.equal(doneB.state, 'completed', JSON.stringify(doneB));

      const live = sip.calls.getLive(principal, id)!;
      assert.ok(live.conference, 'a conference call');
      const legs = [...live.legs.values()];
      const legA = legs.find((l) => l.participant.kind === 'sip' && l.participant.uri.includes(`:${aPort}`))!;
      const legB = legs.find((l) => l.participant.kind === 'sip' && l.participant.uri.includes(`:${bPort}`))!;
      const aEp = legA.media as EngineMediaEndpoint;
      const bEp = legB.media as EngineMediaEndpoint;
      assert.equal(aEp.handle.workerIndex, bEp.handle.workerIndex, 'both parties in one media worker');
      assert.equal(live.mix.mode, 'mixed');

      const from = { a: aAudio.rtp.length, b: bAudio.rtp.length };
      await Promise.all([
        aAudio.stream(aEp.handle.localPort, sine(HZ.a, 1.2, 8000, 6000)),
        bAudio.stream(bEp.handle.localPort, sine(HZ.b, 1.2, 8000, 6000)),
      ]);
      await wait(150);
      const heardByA = aAudio.decoded(0, from.a).subarray(2400);
      const heardByB = bAudio.decoded(0, from.b).subarray(2400);
      const share = (x: Int16Array, hz: number) => (rms(x) < 30 ? 0 : toneShare(x, 8000, hz));
      const talk = { aHearsB: share(heardByA, HZ.b), bHearsA: share(heardByB, HZ.a), aHearsSelf: share(heardByA, HZ.a), samplesA: heardByA.length, samplesB: heardByB.length };
      t.diagnostic(`talk ${JSON.stringify(talk)}`);
      assert.ok(talk.aHearsB > 0.3, `A hears B: ${JSON.stringify(talk)}`);
      assert.ok(talk.bHearsA > 0.3, `B hears A: ${JSON.stringify(talk)}`);
      assert.ok(talk.aHearsSelf < 0.05, `A does not hear itself: ${JSON.stringify(talk)}`);

      // Remove A: SIPp sees BYE; the conference goes on.
      const remA = await req('DELETE', `/v1/calls/${id}/participants/${legA.id}`);
      assert.equal(remA.status, 202, remA.text);
      assert.equal((await settled(remA.body.id as string)).state, 'completed');
      const resA = await uasA;
      assert.equal(resA.code, 0, explain(resA));
      assert.equal(live.state, 'established');

      // Remove the last party: still open (a meeting outlives its parties) …
      const remB = await req('DELETE', `/v1/calls/${id}/participants/${legB.id}`);
      assert.equal((await settled(remB.body.id as string)).state, 'completed');
      const resB = await uasB;
      assert.equal(resB.code, 0, explain(resB));
      const emptyAt = Date.now();
      await wait(300);
      assert.equal((await req('GET', `/v1/calls/${id}`)).body.state, 'established', 'empty, but open');
      // … until the idle timeout ends it.
      let view = (await req('GET', `/v1/calls/${id}`)).body;
      while (view.state !== 'ended' && Date.now() - emptyAt < IDLE_MS + 5000) {
        await wait(100);
        view = (await req('GET', `/v1/calls/${id}`)).body;
      }
      assert.equal(view.state, 'ended');
      assert.equal(view.endReason, 'idle-timeout');
      const idleAfter = (view.endedAt as number) - legB.times.endedAt!;
      t.diagnostic(`ended ${idleAfter} ms after the last party left (idleTimeoutMs ${IDLE_MS})`);
      assert.ok(idleAfter >= IDLE_MS - 20 && idleAfter < IDLE_MS + 2000, `ends after the idle timeout, not before: ${idleAfter} ms`);

      // A new open of the ended locator is a new conference.
      const reopened = await req('POST', '/v1/conferences', { locator: 'standup', idleTimeoutMs: 1000 });
      assert.equal(reopened.status, 201, reopened.text);
      assert.notEqual(reopened.body.id, id);
      assert.equal((await req('POST', `/v1/calls/${reopened.body.id as string}/hangup`)).status, 202);
      assert.equal((await req('POST', `/v1/calls/${other.body.id as string}/hangup`, undefined, KEY2)).status, 202);

      const cdrs = (await req('GET', `/v1/cdrs?callId=${id}`)).body.items as { kind: string; legId?: string; endReason: string; answeredAt?: number }[];
      const callCdr = cdrs.find((c) => c.kind === 'call');
      assert.ok(callCdr, `call CDR: ${JSON.stringify(cdrs)}`);
      assert.equal(callCdr.endReason, 'idle-timeout');
      assert.ok(callCdr.answeredAt !== undefined, 'answered at once');
      assert.deepEqual(cdrs.filter((c) => c.kind === 'leg').map((c) => c.legId).sort(), [legA.id, legB.id].sort());
      assert.ok(cdrs.filter((c) => c.kind === 'leg').every((c) => c.endReason === 'removed'), JSON.stringify(cdrs));

      await live.journal.settled();
      const types = (await sip.callsWiring!.store.db.selectFrom('events').select(['type']).where('call_id', '=', id).orderBy('seq').execute()).map((r) => r.type);
      assert.equal(types[0], 'call.created');
      assert.equal(types[1], 'call.answered');
      assert.ok(types.includes('call.ended'), types.join(','));
      assert.equal(types.filter((x) => x === 'addParticipant.completed').length, 2, types.join(','));
    } finally {
      aAudio.close();
      bAudio.close();
    }
  });
});
