// Meeting numbers end to end: numbers declared in the node's YAML with routeTo {type: meeting},
// a node with TWO media workers, the native API, and real SIPp callers whose audio is this
// test's UDP sockets (RtpPeer).
//  - two callers dial one meeting number: Switchboard answers both and they join ONE conference
//    (locator meeting:<target>), in one media worker and one mixer; checked as audio (Goertzel
//    share): each hears the other's tone (700 / 1100 Hz) and not its own;
//  - GET /v1/calls shows one conference call with two legs; call.created / call.answered /
//    participants.updated are journaled for it;
//  - caller A hangs up (BYE) → participants.updated without A, the conference goes on; the API
//    removes B → SIPp B sees BYE; hangup of the conference → call CDR and both leg CDRs;
//  - limits: an application with maxConcurrentCalls 1 and a live conference: dialing the number
//    of THAT meeting joins it (a joining leg is not a new call), dialing another meeting's number
//    gets the application's limitStatus (486).
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
const KEY = 'meeting-dial-in-key-0123456789abcdef';
const KEY_SMALL = 'meeting-dial-in-small-0123456789abcdef';
const MEETING_NUMBER = '+4930555100';
const SMALL_A = '+4930555200';
const SMALL_B = '+4930555201';
const CALLER = { a: '+4915100000001', b: '+4915112345678' } as const;
const HZ = { a: 700, b: 1100 } as const;

describe('meeting numbers: callers dial in to a conference (SIPp callers, two media workers)', { skip: !haveSipp && 'sipp missing', timeout: 60_000 }, () => {
  let dir: string;
  let server: SwitchboardServer;
  let sip: SipService;
  let principal: Principal;
  let target: string;

  before(async () => {
    ({ dir, server } = await startNode({
      yaml: `
applications:
  - name: meet-bot
    apiKeys: ["${KEY}"]
    numbers:
      - number: "${MEETING_NUMBER}"
        routeTo: { type: meeting, target: weekly }
  - name: small-bot
    apiKeys: ["${KEY_SMALL}"]
    limits: { maxConcurrentCalls: 1 }
    callHandling: { limitStatus: 486 }
    numbers:
      - number: "${SMALL_A}"
        routeTo: { type: meeting, target: a }
      - number: "${SMALL_B}"
        routeTo: { type: meeting, target: b }
`,
      services: [(ctx) => new SipService(ctx, { mediaWorkers: 2 }), createEventsService],
    }));
    sip = server.service<SipService>('sip')!;
    const app = (await sip.callsWiring!.store.tenancy.applications.list()).find((a) => a.name === 'meet-bot')!;
    principal = applicationPrincipal(app.id);
    target = `127.0.0.1:${sip.ports.udp}`;
  });
  after(async () => {
    await server?.stop('test done');
    rmSync(dir, { recursive: true, force: true });
  });

  const { req, settled } = injectApi(() => server.http, KEY);
  const until = async <T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await f();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await wait(50);
    }
  };
  const eventsOf = async (callId: string) => (await sip.callsWiring!.store.db.selectFrom('events').select(['type', 'data']).where('call_id', '=', callId).orderBy('seq').execute())
    .map((r) => ({ type: r.type, data: (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as Record<string, any> }));

  test('two callers dial the meeting number: one conference, each hears the other, BYE, remove, CDRs', { timeout: 40_000 }, async (t) => {
    const aAudio = await RtpPeer.open();
    const bAudio = await RtpPeer.open();
    try {
      // A dials first (stays 8 s, then hangs up); the conference is opened by this call.
      const uacA = runSipp({ scenario: 'meeting-uac-rtp-port-bye.xml', target, service: MEETING_NUMBER, args: ['-set', 'rtpport', String(aAudio.port), '-set', 'caller', CALLER.a, '-d', '8000', '-mp', String(await freeUdpPort())], timeoutMs: 30_000 });
      const conf = await until('the conference with A in it', async () => {
        const page = (await req('GET', '/v1/calls')).body;
        const c = (page.items as { id: string }[] | undefined)?.map((x) => sip.calls.getLive(principal, x.id)).find((x) => x?.conference);
        return c && c.participantViews().length === 1 ? c : undefined;
      });
      assert.equal(conf.conference?.locator, 'meeting:weekly');
      // B dials the same number: the same conference.
      const uacB = runSipp({ scenario: 'core-uac-rtp-port-wait-bye.xml', target, service: MEETING_NUMBER, args: ['-set', 'rtpport', String(bAudio.port), '-mp', String(await freeUdpPort())], timeoutMs: 30_000 });
      await until('B in the mix', () => conf.participantViews().length === 2 && conf.liveLegs().every((l) => conf.mix.currentMixer?.has(l.media)));

      const list = ((await req('GET', '/v1/calls')).body.items as { id: string; state: string }[]).filter((c) => c.state !== 'ended');
      assert.deepEqual(list.map((c) => c.id), [conf.id], 'one live call: the conference');
      const view = (await req('GET', `/v1/calls/${conf.id}`)).body;
      assert.equal(view.state, 'established');
      assert.equal(view.legs.length, 2, JSON.stringify(view.legs));
      assert.ok((view.legs as { direction: string; role: string }[]).every((l) => l.direction === 'inbound' && l.role === 'participant'), JSON.stringify(view.legs));

      const legs = conf.liveLegs();
      const legA = legs.find((l) => l.participant.kind === 'phone' && l.participant.number === CALLER.a)!;
      const legB = legs.find((l) => l.participant.kind === 'phone' && l.participant.number === CALLER.b)!;
      assert.ok(legA && legB, JSON.stringify(legs.map((l) => l.participant)));
      const aEp = legA.media as EngineMediaEndpoint;
      const bEp = legB.media as EngineMediaEndpoint;
      assert.equal(aEp.handle.workerIndex, bEp.handle.workerIndex, 'both callers in one media worker');
      assert.equal(conf.mix.mode, 'mixed');

      const from = { a: aAudio.rtp.length, b: bAudio.rtp.length };
      await Promise.all([
        aAudio.stream(aEp.handle.localPort, sine(HZ.a, 1.2, 8000, 6000)),
        bAudio.stream(bEp.handle.localPort, sine(HZ.b, 1.2, 8000, 6000)),
      ]);
      await wait(150);
      const heardByA = aAudio.decoded(0, from.a).subarray(2400);
      const heardByB = bAudio.decoded(0, from.b).subarray(2400);
      const share = (x: Int16Array, hz: number) => (rms(x) < 30 ? 0 : toneShare(x, 8000, hz));
      const talk = { aHearsB: share(heardByA, HZ.b), bHearsA: share(heardByB, HZ.a), aHearsSelf: share(heardByA, HZ.a), bHearsSelf: share(heardByB, HZ.b) };
      t.diagnostic(`talk ${JSON.stringify(talk)}`);
      assert.ok(talk.aHearsB > 0.3, `A hears B: ${JSON.stringify(talk)}`);
      assert.ok(talk.bHearsA > 0.3, `B hears A: ${JSON.stringify(talk)}`);
      assert.ok(talk.aHearsSelf < 0.05, `A does not hear itself: ${JSON.stringify(talk)}`);
      assert.ok(talk.bHearsSelf < 0.05, `B does not hear itself: ${JSON.stringify(talk)}`);

      // A hangs up (its -d ran out): the roster without A, the conference goes on.
      const resA = await uacA;
      assert.equal(resA.code, 0, explain(resA));
      await until('A gone from the roster', () => conf.participantViews().length === 1);
      await conf.journal.settled();
      const rosters = (await eventsOf(conf.id)).filter((e) => e.type === 'participants.updated').map((e) => (e.data.participants as { legId: string }[]).map((p) => p.legId));
      assert.deepEqual(rosters.at(-1), [legB.id], `last roster is B alone: ${JSON.stringify(rosters)}`);
      assert.ok(rosters.some((r) => r.length === 2), `a roster with both: ${JSON.stringify(rosters)}`);
      assert.equal(conf.state, 'established');

      // The application removes B: SIPp B sees our BYE.
      const rem = await req('POST', `/v1/calls/${conf.id}/participants/${legB.id}/remove`);
      assert.equal(rem.status, 202, rem.text);
      assert.equal((await settled(rem.body.id as string)).state, 'completed');
      const resB = await uacB;
      assert.equal(resB.code, 0, explain(resB));

      // Empty: the conference waits (idle timeout, default 10 min); the application hangs it up.
      assert.equal(conf.state, 'established');
      assert.equal((await req('POST', `/v1/calls/${conf.id}/hangup`)).status, 202);
      const cdrs = await until('CDRs', async () => {
        const items = (await req('GET', `/v1/cdrs?callId=${conf.id}`)).body.items as { kind: string; legId?: string; endReason: string; endedBy: string }[];
        return items.length >= 3 ? items : undefined;
      });
      assert.ok(cdrs.find((c) => c.kind === 'call'), JSON.stringify(cdrs));
      const legCdrs = cdrs.filter((c) => c.kind === 'leg');
      assert.deepEqual(legCdrs.map((c) => c.legId).sort(), [legA.id, legB.id].sort());
      assert.equal(legCdrs.find((c) => c.legId === legA.id)!.endedBy, 'remote', JSON.stringify(legCdrs));
      assert.equal(legCdrs.find((c) => c.legId === legB.id)!.endReason, 'removed', JSON.stringify(legCdrs));

      const types = (await eventsOf(conf.id)).map((e) => e.type);
      assert.equal(types[0], 'call.created');
      assert.equal(types[1], 'call.answered');
      assert.ok(!types.includes('call.incoming'), 'nothing for the application to answer');
      assert.ok(types.includes('participant.removed') && types.includes('call.ended'), types.join(','));
    } finally {
      aAudio.close();
      bAudio.close();
    }
  });

  test('limits: a live meeting is joined without counting again; another meeting over maxConcurrentCalls gets limitStatus 486', { timeout: 30_000 }, async () => {
    // The application's one call: the conference of meeting a, opened through the API.
    const opened = await req('POST', '/v1/conferences', { locator: 'meeting:a' }, KEY_SMALL);
    assert.equal(opened.status, 201, opened.text);
    const confId = opened.body.id as string;
    const smallApp = applicationPrincipal((await sip.callsWiring!.store.tenancy.applications.list()).find((a) => a.name === 'small-bot')!.id);
    // Meeting b would be a second call: refused with the application's limitStatus.
    const refused = await runSipp({ scenario: 'uac-expect-486.xml', target, service: SMALL_B, args: ['-mp', String(await freeUdpPort())], timeoutMs: 15_000 });
    assert.equal(refused.code, 0, explain(refused));
    // Meeting a's number joins the live conference (a leg, not a new call).
    const joined = runSipp({ scenario: 'uac-invite-bye.xml', target, service: SMALL_A, args: ['-d', '1500', '-mp', String(await freeUdpPort())], timeoutMs: 15_000 });
    const conf = sip.calls.getLive(smallApp, confId)!;
    await until('the caller in meeting a', () => conf.participantViews().length === 1);
    const res = await joined;
    assert.equal(res.code, 0, explain(res));
    const calls = (await req('GET', '/v1/calls', undefined, KEY_SMALL)).body.items as { id: string }[];
    assert.deepEqual(calls.map((c) => c.id), [confId], 'no call was recorded for the refused dial-in, none for the joined leg');
    assert.equal((await req('POST', `/v1/calls/${confId}/hangup`, undefined, KEY_SMALL)).status, 202);
  });
});
