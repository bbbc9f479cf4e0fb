// Opus over SIP end to end (RFC 7587), with baresip loading only its opus module so its offer is
// opus/48000/2 + telephone-event/8000 and nothing we prefer. Each call must be ANSWERED with opus
// (checked in the 200 OK's SDP from baresip's SIP trace) and its audio checked as audio:
//  - sip:tone@: baresip's recording of what it heard has 1 kHz in it;
//  - sip:echo@: baresip sends a 440 Hz sine (ausine, 48 kHz) and hears 440 Hz back;
//  - sip:playback@: digits keyed on baresip (ctrl_tcp "sndcode", RFC 4733 at 8000 beside opus)
//    are detected as rfc4733, exactly those digits;
//  - an application number (the SipChannel path, inbound-call.ts): answered via CallService,
//    a played 1 kHz tone (rendered at the 48 kHz media rate) is heard by baresip.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baresipAvailable, baresipCommand, freeBaresipPort, freeTcpPort, runBaresip, type BaresipResult } from './helpers/baresip.ts';
import { readWav } from './helpers/wav.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';
import type { SipService } from '../src/server/sip-service.ts';
import type { DtmfEventData } from '../src/media/index.ts';
import { goertzelCoefficient, goertzelPower } from '../src/media/index.ts';
import { applicationPrincipal, type Call } from '../src/core/index.ts';

const haveOpus = baresipAvailable() && existsSync('/usr/lib/baresip/modules/opus.so') && spawnSync('sox', ['--version']).status === 0;
const NUMBER = '+4930555777';

/** The strongest frequency (10 Hz steps, 100 Hz – 4 kHz) of `x`. */
function dominantHz(x: Float64Array, rate: number): number {
  let best = 0;
  let bestP = -1;
  for (let f = 100; f <= 4000; f += 10) {
    const p = goertzelPower(x, 0, x.length, goertzelCoefficient(f, rate));
    if (p > bestP) { bestP = p; best = f; }
  }
  return best;
}

function rms(x: Float64Array): number {
  return Math.sqrt(x.reduce((s, v) => s + v * v, 0) / Math.max(1, x.length));
}

/** The loudest second of `x` (the tone, not call set-up or tear-down). */
function loudestSecond(x: Float64Array, rate: number): Float64Array {
  let best = 0;
  let bestE = -1;
  for (let s = 0; s + rate <= x.length; s += rate / 4) {
    let e = 0;
    for (let i = s; i < s + rate; i++) e += x[i] * x[i];
    if (e > bestE) { bestE = e; best = s; }
  }
  return x.subarray(best, Math.min(x.length, best + rate));
}

/** What baresip heard (sndfile's *-dec.wav), loudest second. */
function heard(r: BaresipResult): { samples: Float64Array; rate: number } {
  const f = r.recordings.find((p) => /dec\.wav$/.test(p));
  assert.ok(f, `no received-audio recording among ${r.recordings.join(', ')}\n${r.output.slice(-2000)}`);
  const wav = readWav(f);
  const loud = loudestSecond(wav.samples, wav.rate);
  assert.ok(loud.length >= wav.rate / 2, `recording too short: ${wav.samples.length} samples at ${wav.rate} Hz`);
  return { samples: loud, rate: wav.rate };
}

/** The SDP of the first 200 OK to the INVITE that baresip received (from its -s trace). */
function answerSdp(r: BaresipResult): string {
  // The trace prints each message after a "<proto> <from> -> <to>" line; ours is the 200 with CSeq INVITE.
  const msgs = r.output.split(/\n(?=SIP\/2\.0 |[A-Z]+ sip:)/);
  const ok = msgs.find((m) => m.startsWith('SIP/2.0 200') && /CSeq:\s*\d+ INVITE/i.test(m));
  assert.ok(ok, `no 200 OK to the INVITE in baresip's trace\n${r.output.slice(0, 3000)}`);
  return ok.slice(ok.indexOf('v=0'));
}

/** Our answer picked opus (its rtpmap is the first format of the accepted m=audio line). */
function assertOpusAnswer(r: BaresipResult): void {
  const sdp = answerSdp(r);
  const m = /^m=audio (\d+) RTP\/AVP ([\d ]+)/m.exec(sdp);
  assert.ok(m && m[1] !== '0', `no accepted audio stream in the answer:\n${sdp}`);
  const first = m[2]!.split(' ')[0];
  assert.match(sdp, new RegExp(`a=rtpmap:${first} opus/48000/2`), `answer does not pick opus:\n${sdp}`);
  assert.doesNotMatch(sdp, /PCMU|PCMA/, 'an opus answer carries no G.711');
}


const OPUS_ONLY = { codecModules: ['opus.so'], trace: true, account: '<sip:bob@127.0.0.1;transport=udp>;regint=0' };

/** 8 s of 48 kHz stereo silence for baresip's microphone (ausine refuses 0 Hz; aufile wants the codec's rate and its 2 channels). */
function quietWav48k(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'sb-opus-')), 'quiet48k.wav');
  const r = spawnSync('sox', ['-n', '-r', '48000', '-c', '2', '-b', '16', path, 'trim', '0', '8']);
  assert.equal(r.status, 0, `sox: ${r.stderr}`);
  return path;
}

describe('Opus over SIP with baresip offering only opus', { skip: !haveOpus && 'baresip or its opus module missing', timeout: 90_000 }, () => {
  let node: TestNode;
  let sip: SipService;
  const digits: DtmfEventData[] = [];

  before(async () => {
    node = await startNode({
      env: { SWITCHBOARD_RTP_PORTS: '43000-43999' },
      yaml: `
applications:
  - name: opus-bot
    apiKeys: ["opus-baresip-key-0123456789abcdef"]
    numbers:
      - "${NUMBER}"
`,
    });
    sip = node.server.service('sip') as unknown as SipService;
    sip.diagnostics.on('dtmf', (ev) => digits.push(ev));
  });
  after(async () => { await node?.stop(); });

  test('sip:tone@ — answered with opus/48000/2; baresip hears 1 kHz', { timeout: 20_000 }, async () => {
    const r = await runBaresip({ ...OPUS_ONLY, sourceWav: quietWav48k(), port: await freeBaresipPort(), commands: [`/dial sip:tone@${node.sip}`], seconds: 4, rtpPorts: '38600-38649' });
    assertOpusAnswer(r);
    const { samples, rate } = heard(r);
    const hz = dominantHz(samples, rate);
    assert.ok(Math.abs(hz - 1000) <= 20, `dominant ${hz} Hz`);
    assert.ok(rms(samples) > 3000, `tone level rms ${rms(samples)}`);
  });

  test('sip:echo@ — baresip sends 440 Hz over opus and hears 440 Hz back', { timeout: 20_000 }, async () => {
    const r = await runBaresip({ ...OPUS_ONLY, port: await freeBaresipPort(), commands: [`/dial sip:echo@${node.sip}`], seconds: 5, sineHz: 440, rtpPorts: '38650-38699' });
    assertOpusAnswer(r);
    const { samples, rate } = heard(r);
    const hz = dominantHz(samples, rate);
    assert.ok(Math.abs(hz - 440) <= 20, `echoed audio dominant ${hz} Hz (rms ${rms(samples)})`);
    assert.ok(rms(samples) > 1000, `echo level rms ${rms(samples)}`);
  });

  test('sip:playback@ — RFC 4733 digits keyed on baresip over an opus leg are detected, exactly those', { timeout: 25_000 }, async () => {
    const ctrl = await freeTcpPort();
    const from = digits.length;
    const run = runBaresip({
      ...OPUS_ONLY, sourceWav: quietWav48k(), port: await freeBaresipPort(), commands: [`/dial sip:playback@${node.sip}`], seconds: 7, rtpPorts: '38700-38749',
      extraConfig: ['module_app ctrl_tcp.so', `ctrl_tcp_listen 127.0.0.1:${ctrl}`],
    });
    // Let the call be answered and media flow before keying.
    await new Promise((r) => setTimeout(r, 2000));
    for (const d of ['1', '5', '9']) {
      const reply = await baresipCommand(ctrl, 'sndcode', d);
      assert.match(reply, /"ok"\s*:\s*true/, `baresip sndcode reply: ${reply}`);
      await new Promise((r) => setTimeout(r, 600));
    }
    const r = await run;
    assertOpusAnswer(r);
    assert.match(answerSdp(r), /a=rtpmap:\d+ telephone-event\/8000/, 'telephone-event/8000 accepted beside opus');
    const got = digits.slice(from).map((d) => `${d.digit}/${d.source}`);
    assert.deepEqual(got, ['1/rfc4733', '5/rfc4733', '9/rfc4733']);
  });

  test('an application number: answered with opus via CallService; a played 1 kHz tone is heard', { timeout: 30_000 }, async () => {
    const app = (await sip.callsWiring!.store.tenancy.applications.list()).find((a) => a.name === 'opus-bot')!;
    const principal = applicationPrincipal(app.id);
    const incoming = once(sip.calls, 'incoming') as Promise<[Call]>;
    const run = runBaresip({ ...OPUS_ONLY, sourceWav: quietWav48k(), port: await freeBaresipPort(), commands: [`/dial sip:${NUMBER}@${node.sip}`], seconds: 7, rtpPorts: '38750-38799' });
    const [call] = await incoming;
    assert.equal((await (await sip.calls.execute(call.id, 'answer', {}, { principal })).done).code, 200);
    const play = await sip.calls.execute(call.id, 'play', { sources: [{ kind: 'tone', frequencies: [1000], durationMs: 2000 }] }, { principal });
    assert.equal((await play.done).code, 200);
    assert.equal((await (await sip.calls.execute(call.id, 'hangup', { forEveryone: true }, { principal })).done).code, 200);
    const r = await run;
    assertOpusAnswer(r);
    const { samples, rate } = heard(r);
    const hz = dominantHz(samples, rate);
    assert.ok(Math.abs(hz - 1000) <= 20, `dominant ${hz} Hz`);
  });
});
