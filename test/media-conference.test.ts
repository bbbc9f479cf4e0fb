// Conference mixing through the media engine: three node:dgram peers send different tones into
// one conference (a Mixer in one worker, members co-located with { near: conference }):
//  - each hears the other two and never itself (mix-minus);
//  - a muted member is heard by nobody, but still hears the others;
//  - a whisper (coach) is heard only by its target;
//  - joining from another worker works (relayed across workers, docs/media.md); closing the conference frees members.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MediaEngine, type ConferenceHandle, type MediaEndpointHandle } from '../src/media/index.ts';
import { RtpPeer, sine, toneShare, wait } from '../src/media/worker/test-rtp-peer.ts';

const PCMU = { name: 'PCMU', clockRate: 8000, payloadType: 0 };
const HZ = { a: 500, b: 900, c: 1300 } as const;
type Name = keyof typeof HZ;

describe('conference through the engine', () => {
  let engine: MediaEngine;
  let conf: ConferenceHandle;
  const peers = {} as Record<Name, RtpPeer>;
  const eps = {} as Record<Name, MediaEndpointHandle>;

  before(async () => {
    engine = await MediaEngine.start({ workers: 2, portMin: 45500, portMax: 45999, bindAddress: '127.0.0.1' });
    conf = await engine.createConference();
    for (const n of ['a', 'b', 'c'] as Name[]) {
      peers[n] = await RtpPeer.open();
      eps[n] = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: peers[n].port }, near: conf });
      assert.equal(eps[n].workerIndex, conf.workerIndex);
    }
  });
  after(async () => {
    await engine.close();
    for (const p of Object.values(peers)) p.close();
  });

  /** All three talk for 1.2 s; returns each one's share of each tone in what it heard. */
  async function round(): Promise<Record<Name, Record<Name, number>>> {
    const from = { a: peers.a.rtp.length, b: peers.b.rtp.length, c: peers.c.rtp.length };
    await Promise.all((['a', 'b', 'c'] as Name[]).map((n) => peers[n].stream(eps[n].localPort, sine(HZ[n], 1.2, 8000, 6000))));
    await wait(100);
    const out = {} as Record<Name, Record<Name, number>>;
    for (const n of ['a', 'b', 'c'] as Name[]) {
      const x = peers[n].decoded(0, from[n]);
      const mid = x.subarray(2400, 2400 + 6400); // 0.3 … 1.1 s
      out[n] = { a: toneShare(mid, 8000, HZ.a), b: toneShare(mid, 8000, HZ.b), c: toneShare(mid, 8000, HZ.c) };
    }
    return out;
  }

  const fmt = (s: Record<Name, Record<Name, number>>) => JSON.stringify(s, (_k, v) => (typeof v === 'number' ? Number(v.toFixed(3)) : v));

  test('each member hears the other two, never itself (mix-minus)', async () => {
    for (const n of ['a', 'b', 'c'] as Name[]) await eps[n].joinConference(conf);
    const s = await round();
    for (const me of ['a', 'b', 'c'] as Name[]) {
      for (const other of ['a', 'b', 'c'] as Name[]) {
        if (other === me) assert.ok(s[me][other] < 0.01, `${me} hears itself: ${fmt(s)}`);
        else assert.ok(s[me][other] > 0.3, `${me} does not hear ${other}: ${fmt(s)}`);
      }
    }
  });

  test('muted: nobody hears b, b still hears a and c', async () => {
    await eps.b.updateConference({ muted: true });
    const s = await round();
    assert.ok(s.a.b < 0.01 && s.c.b < 0.01, fmt(s));
    assert.ok(s.a.c > 0.6 && s.c.a > 0.6, fmt(s));
    assert.ok(s.b.a > 0.3 && s.b.c > 0.3, fmt(s));
    await eps.b.updateConference({ muted: false });
  });

  test('whisper: c coaches a — only a hears c; c hears everyone', async () => {
    await eps.c.updateConference({ whisperTo: eps.a });
    const s = await round();
    assert.ok(s.a.c > 0.3 && s.a.b > 0.3, `a hears b and the whisper: ${fmt(s)}`);
    assert.ok(s.b.c < 0.01, `b must not hear the whisper: ${fmt(s)}`);
    assert.ok(s.c.a > 0.3 && s.c.b > 0.3, fmt(s));
    await eps.c.updateConference({ whisperTo: null });
  });

  test('an endpoint of another worker joins through a relay (no CROSS_WORKER) and leaves; close frees the members', async () => {
    let other: MediaEndpointHandle | undefined;
    const extra: MediaEndpointHandle[] = [];
    for (let i = 0; i < 4 && !other; i++) {
      const h = await engine.createEndpoint({ codec: PCMU });
      extra.push(h);
      if (h.workerIndex !== conf.workerIndex) other = h;
    }
    assert.ok(other, 'an endpoint in the other worker');
    // Cross-worker membership is relayed (src/media/worker/cross-worker.test.ts checks its audio).
    await other.joinConference(conf);
    await other.leaveConference();
    for (const h of extra) await h.close();

    await conf.close();
    assert.equal(conf.closed, true);
    const from = peers.a.rtp.length;
    await peers.b.stream(eps.b.localPort, sine(HZ.b, 0.4, 8000, 6000));
    await wait(60);
    const x = peers.a.decoded(0, from);
    assert.ok(toneShare(x, 8000, HZ.b) < 0.01, 'after close, a no longer hears b');
    await assert.rejects(eps.a.joinConference(conf), (e: Error & { code?: string }) => e.code === 'CONFERENCE_CLOSED');
  });
});
