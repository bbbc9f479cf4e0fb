// The media diagnostic targets end to end with real peers, audio checked as audio:
//  - baresip calls sip:tone@ and records what it hears: a 1 kHz tone (Goertzel scan);
//  - baresip calls sip:echo@ sending a 440 Hz WAV and hears 440 Hz back, while a stranger
//    sprays RTP at the call's port (RTP bleed): dropped (by the kernel: the RTP socket is
//    connect()ed to the latched source), latch and audio path unchanged;
//  - SIPp calls sip:playback@ and replays its RFC 2833 captures 1, 2, 3, #: exactly those digits;
//  - baresip sends in-band DTMF (sox-made) to sip:playback@: detected as in-band, no extras;
//  - media_dtmf_digits_total counts them; no endpoint or RTP port outlives its call.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baresipAvailable, runBaresip } from './helpers/baresip.ts';
import { readWav } from './helpers/wav.ts';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';
import type { SipService } from '../src/server/sip-service.ts';
import type { DtmfEventData, MediaEndpointHandle } from '../src/media/index.ts';
import { goertzelCoefficient, goertzelPower, loadPacer } from '../src/media/index.ts';

const haveBaresip = baresipAvailable();
const haveSipp = sippAvailable();
const haveSox = spawnSync('sox', ['--version']).status === 0;


/** The strongest frequency (10 Hz steps) of the loudest stretch of `x`. */
function dominantHz(x: Float64Array, rate: number): number {
  let best = 0;
  let bestP = -1;
  for (let f = 100; f < rate / 2 - 100; f += 10) {
    const p = goertzelPower(x, 0, x.length, goertzelCoefficient(f, rate));
    if (p > bestP) { bestP = p; best = f; }
  }
  return best;
}

function rms(x: Float64Array): number {
  return Math.sqrt(x.reduce((s, v) => s + v * v, 0) / Math.max(1, x.length));
}

/** The middle second of a recording (skips call set-up and tear-down). */
function middle(x: Float64Array, rate: number): Float64Array {
  const start = Math.max(0, Math.floor(x.length / 2 - rate / 2));
  return x.subarray(start, Math.min(x.length, start + rate));
}

function decodedRecording(files: string[]): string {
  const f = files.find((p) => /dec\.wav$/.test(p));
  assert.ok(f, `no received-audio recording among ${files.join(', ')}`);
  return f;
}

describe('media diagnostic targets with real peers', { skip: !(haveBaresip && haveSipp && haveSox) && 'baresip, sipp or sox missing' }, () => {
  let node: TestNode;
  let sip: SipService;
  const work = mkdtempSync(join(tmpdir(), 'sb-media-'));
  const endpoints: MediaEndpointHandle[] = [];
  const digits: DtmfEventData[] = [];

  before(async () => {
    node = await startNode({ env: { SWITCHBOARD_RTP_PORTS: '42000-42999' } });
    sip = node.server.service('sip') as unknown as SipService;
    sip.diagnostics.on('endpoint', (h) => endpoints.push(h));
    sip.diagnostics.on('dtmf', (ev) => digits.push(ev));
  });
  after(async () => {
    await node?.stop();
  });

  test('sip:tone@ — baresip hears a 1 kHz tone', async () => {
    // baresip's default source (ausine) only runs at 48 kHz: give it silence to send.
    const quiet = join(work, 'quiet.wav');
    spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', quiet, 'trim', '0', '6']);
    const r = await runBaresip({
      sourceWav: quiet,
      port: await freeUdpPort(),
      account: `<sip:bob@127.0.0.1;transport=udp>;regint=0`,
      commands: [`/dial sip:tone@${node.sip}`],
      seconds: 4,
      rtpPorts: '38200-38299',
    });
    const wav = readWav(decodedRecording(r.recordings));
    const mid = middle(wav.samples, wav.rate);
    assert.ok(mid.length >= wav.rate / 2, `recording too short: ${wav.samples.length} samples\n${r.output.slice(-2000)}`);
    const hz = dominantHz(mid, wav.rate);
    assert.ok(Math.abs(hz - 1000) <= 20, `dominant ${hz} Hz`);
    assert.ok(rms(mid) > 3000, `tone level rms ${rms(mid)}`);
  });

  test('sip:echo@ — baresip hears its own 440 Hz back; a stranger spraying RTP at the port is dropped (RTP bleed)', async () => {
    const src = join(work, 'a440.wav');
    spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', src, 'synth', '9', 'sine', '440', 'vol', '0.5']);
    const before = endpoints.length;
    const run = runBaresip({
      port: await freeUdpPort(),
      account: `<sip:bob@127.0.0.1;transport=udp>;regint=0`,
      commands: [`/dial sip:echo@${node.sip}`],
      // baresip's -t counts from its start, not from the answer: room for a slow start-up before the
      // call, the 1.5 s wait and the stranger's burst below, so the call is still up for stats().
      seconds: 8,
      sourceWav: src,
      rtpPorts: '38300-38399',
    });
    // Mid-call, a stranger sends PCMU RTP (loud 3 kHz-ish noise) to the call's RTP port.
    const deadline = Date.now() + 3000;
    while (endpoints.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const h = endpoints[endpoints.length - 1];
    assert.ok(h, 'the echo call got an endpoint');
    const tCall = performance.now();
    await new Promise((r) => setTimeout(r, 1500));
    const stranger = createSocket('udp4');
    await new Promise<void>((r) => stranger.bind(0, '127.0.0.1', () => r()));
    const pkt = Buffer.alloc(172, 0x80); // payload: alternating µ-law extremes, very loud
    pkt[0] = 0x80; pkt[1] = 0; pkt.writeUInt32BE(0xdeadbeef, 8);
    const tBurst = performance.now() - tCall;
    for (let i = 0; i < 50; i++) {
      pkt.writeUInt16BE(i, 2);
      pkt.writeUInt32BE(i * 160, 4);
      stranger.send(pkt, h.localPort, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 10));
    }
    const tBurstEnd = performance.now() - tCall;
    const st = await h.stats();
    stranger.close();
    const r = await run;
    // Once latched the RTP socket is connect()ed to the latched source, so the kernel drops the
    // stranger's packets before the latch sees them: not counted. What is observable is below —
    // the latch did not move, and the echoed audio has none of the stranger's noise.
    // (If a packet beats the connect(), the latch drops and counts it instead: never accepted.)
    assert.ok(st.rejectedPackets <= 50, `rejected ${st.rejectedPackets}: at most the stranger's 50 packets`);
    // baresip advertises its eth0 address in SDP but sends from 127.0.0.1: the endpoint latched
    // to it (NAT-style) and stayed with it while the stranger sprayed.
    assert.notEqual(st.latch, 'waiting');
    assert.equal(st.sendingTo?.address, '127.0.0.1');
    assert.ok(st.sendingTo!.port >= 38300 && st.sendingTo!.port <= 38399, `sending to ${JSON.stringify(st.sendingTo)}`);
    const wav = readWav(decodedRecording(r.recordings));
    // Look at what baresip heard around the stranger's burst (its recording starts about when the
    // endpoint appeared; the echo comes back a jitter buffer later).
    const at = (ms: number) => Math.max(0, Math.min(wav.samples.length, Math.round((ms / 1000) * wav.rate)));
    const tail = wav.samples.subarray(at(tBurst - 200), at(tBurstEnd + 800));
    assert.ok(tail.length >= wav.rate, `a second or more of recording around the burst (${tail.length} samples of ${wav.samples.length})`);
    const hz = dominantHz(tail, wav.rate);
    assert.ok(Math.abs(hz - 440) <= 20, `echoed audio dominant ${hz} Hz (rms ${rms(tail)})`);
  });

  test('sip:playback@ — SIPp keys 1, 2, 3, # as RFC 4733 (its bundled pcaps): exactly those digits', async () => {
    const from = digits.length;
    const r = await runSipp({ scenario: 'uac-playback-dtmf-2833.xml', target: node.sip, service: 'playback', args: ['-mp', String(await freeUdpPort())], timeoutMs: 20000 });
    assert.equal(r.code, 0, explain(r));
    const got = digits.slice(from);
    assert.deepEqual(got.map((d) => `${d.digit}/${d.source}`), ['1/rfc4733', '2/rfc4733', '3/rfc4733', '#/rfc4733']);
  });

  test('sip:playback@ — in-band DTMF from baresip (sox-made 4, 7, *) is detected as in-band, no extras', async () => {
    const parts: string[] = [];
    const tones: Record<string, [number, number]> = { '4': [770, 1209], '7': [852, 1209], '*': [941, 1209] };
    const sil = join(work, 'sil.wav');
    spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', sil, 'trim', '0', '0.4']);
    parts.push(join(work, 'lead.wav'));
    spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', parts[0], 'trim', '0', '1.0']);
    for (const [d, [lo, hi]] of Object.entries(tones)) {
      const f = join(work, `d${d === '*' ? 'star' : d}.wav`);
      spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', f, 'synth', '0.12', 'sine', String(lo), 'sine', String(hi), 'remix', '-', 'vol', '0.4']);
      parts.push(f, sil);
    }
    const src = join(work, 'inband.wav');
    const cat = spawnSync('sox', [...parts, src]);
    assert.equal(cat.status, 0, String(cat.stderr));
    const from = digits.length;
    const r = await runBaresip({
      port: await freeUdpPort(),
      account: `<sip:bob@127.0.0.1;transport=udp>;regint=0`,
      commands: [`/dial sip:playback@${node.sip}`],
      seconds: 5,
      sourceWav: src,
      rtpPorts: '38400-38499',
    });
    const got = digits.slice(from).map((d) => `${d.digit}/${d.source}`);
    assert.deepEqual(got, ['4/inband', '7/inband', '*/inband'], r.output.slice(-1500));
  });

  test('prompts went out through the native pacer: media_rtp_paced_total, media_rtp_pacer_late_total, media_rtp_pacer_realtime', async () => {
    const text = await (await fetch(`${node.http}/metrics`)).text();
    const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
    if (!loadPacer()) {
      assert.doesNotMatch(text, /^media_rtp_paced_total/m, 'no pacer, no pacer metrics');
      return;
    }
    const sent = num(/^media_rtp_paced_total\{result="sent"\} (\d+)/m);
    const errors = num(/^media_rtp_paced_total\{result="error"\} (\d+)/m);
    assert.ok(sent > 50, `the playback calls' prompt frames were paced (${sent})`);
    assert.equal(errors, 0);
    const les = ['0.00005', '0.0001', '0.00025', '0.0005', '0.001', '0.002', '0.005', '+Inf'].map((le) => num(new RegExp(`^media_rtp_pacer_late_total\\{le="${le.replace('+', '\\+')}"\\} (\\d+)`, 'm')));
    assert.ok(les.every((n, i) => i === 0 || n >= les[i - 1]), `cumulative buckets: ${les.join(' ')}`);
    assert.equal(les[7], sent + errors, 'every paced send is in the +Inf bucket');
    const realtime = num(/^media_rtp_pacer_realtime (\d+)/m);
    if (process.getuid?.() === 0 && process.env.SWITCHBOARD_MEDIA_PACER_RT !== '0') assert.equal(realtime, 1, 'root: SCHED_FIFO');
    else assert.ok(realtime === 0 || realtime === 1);
  });

  test('digits are counted in media_dtmf_digits_total; no endpoint or port outlives its call', async () => {
    const text = await (await fetch(`${node.http}/metrics`)).text();
    const count = (source: string) => Number(new RegExp(`media_dtmf_digits_total\\{source="${source}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    assert.equal(count('rfc4733'), digits.filter((d) => d.source === 'rfc4733').length);
    assert.equal(count('inband'), digits.filter((d) => d.source === 'inband').length);
    assert.ok(count('rfc4733') >= 4 && count('inband') >= 3);
    const deadline = Date.now() + 3000;
    while (sip.mediaEngine.endpointCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(sip.mediaEngine.endpointCount, 0);
    assert.equal(sip.mediaEngine.portsInUse, 0);
    assert.ok(endpoints.length >= 4 && endpoints.every((h) => h.closed));
  });
});
