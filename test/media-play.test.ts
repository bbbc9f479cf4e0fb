// Players through the media engine with real files, real sockets and real speech, audio checked
// as audio at a node:dgram peer:
//  - an A-law 8 kHz WAV (the Huawei prompt format) reaches a PCMU peer as the right tone;
//  - a URL prompt (local HTTP server, through the prompt cache); tone + silence + 16 kHz PCM
//    playlists with loops, in time;
//  - a missing file fails the operation with NOT_FOUND, and the call goes on;
//  - barge-in: an RFC 4733 digit stops playback ('barge-in'); so does speech (VAD);
//  - TTS: EspeakSynthesizer output played as {kind:'pcm'}, what the peer received is recognized
//    by PocketsphinxRecognizer as the right choice among sales / support / billing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaEngine } from '../src/media/index.ts';
import { RtpPeer, dominantHz, readWavPcm, rms, sine, toneShare, until, wait } from '../src/media/worker/test-rtp-peer.ts';
import { EspeakSynthesizer, PocketsphinxRecognizer } from '../src/speech/index.ts';

const PCMU = { name: 'PCMU', clockRate: 8000, payloadType: 0 };
const TE = { payloadType: 101 };
const work = mkdtempSync(join(tmpdir(), 'sb-media-play-'));
const haveSox = spawnSync('sox', ['--version']).status === 0;
const haveEspeak = spawnSync('espeak-ng', ['--version']).status === 0;
const havePocketsphinx = spawnSync('which', ['pocketsphinx_continuous']).status === 0;

function sox(...args: string[]): void {
  const r = spawnSync('sox', args);
  assert.equal(r.status, 0, String(r.stderr));
}

/** Audio the peer received since packet index `from`, without leading/trailing digital silence frames. */
function heard(peer: RtpPeer, from = 0): Int16Array {
  const x = peer.decoded(0, from);
  let a = 0;
  let b = x.length;
  while (a < b && Math.abs(x[a]) < 64) a++;
  while (b > a && Math.abs(x[b - 1]) < 64) b--;
  return x.subarray(a, b);
}

describe('players through the engine', { skip: !haveSox && 'sox missing' }, () => {
  let engine: MediaEngine;
  let http: Server;
  let base = '';
  before(async () => {
    engine = await MediaEngine.start({ workers: 2, portMin: 44600, portMax: 44999, bindAddress: '127.0.0.1', cacheDir: join(work, 'cache') });
    sox('-n', '-r', '8000', '-c', '1', '-e', 'a-law', '-b', '8', join(work, 'alaw700.wav'), 'synth', '1', 'sine', '700', 'vol', '0.5');
    sox('-n', '-r', '16000', '-c', '1', '-b', '16', join(work, 'url1200.wav'), 'synth', '0.6', 'sine', '1200', 'vol', '0.5');
    http = createServer((req, res) => {
      if (req.url === '/url1200.wav') {
        res.writeHead(200, { 'content-type': 'audio/wav' }).end(readFileSync(join(work, 'url1200.wav')));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  });
  after(async () => {
    await engine.close();
    await new Promise((r) => http.close(r));
  });

  test('an A-law 8 kHz WAV file (Huawei format) reaches a PCMU peer as a 700 Hz tone, 1 s long', async () => {
    const peer = await RtpPeer.open();
    const h = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: peer.port } });
    const from = peer.rtp.length;
    const op = await h.play([{ kind: 'file', path: join(work, 'alaw700.wav') }]);
    assert.deepEqual(await op.done, { reason: 'finished' });
    await wait(60);
    const x = heard(peer, from);
    assert.ok(Math.abs(x.length - 8000) <= 160, `played ${x.length} samples`);
    assert.equal(dominantHz(x, 8000), 700);
    assert.ok(toneShare(x, 8000, 700) > 0.9);
    await h.close();
    peer.close();
  });

  test('a URL prompt (16 kHz WAV over HTTP, through the cache) plays at 1200 Hz; tone + silence + 16 kHz PCM loop twice in time', async () => {
    const peer = await RtpPeer.open();
    const h = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: peer.port } });
    let from = peer.rtp.length;
    const u = await h.play([{ kind: 'url', url: `${base}/url1200.wav` }]);
    assert.deepEqual(await u.done, { reason: 'finished' });
    await wait(60);
    const x = heard(peer, from);
    assert.ok(Math.abs(x.length - 4800) <= 160, `url prompt ${x.length} samples`);
    assert.equal(dominantHz(x, 8000), 1200);

    from = peer.rtp.length;
    const pcm16 = sine(500, 0.4, 16000);
    const t0 = Date.now();
    const op = await h.play([{ kind: 'tone', tone: 'beep' }, { kind: 'silence', ms: 200 }, { kind: 'pcm', rate: 16000, samples: pcm16 }], { loop: 2 });
    assert.deepEqual(await op.done, { reason: 'finished' });
    const took = Date.now() - t0;
    assert.ok(took >= 1600 && took < 2300, `2 × (250 + 200 + 400) ms took ${took} ms`);
    await wait(60);
    const y = peer.decoded(0, from);
    // Second round: beep at 850 ms … 1100 ms, PCM at 1300 … 1700 ms.
    assert.equal(dominantHz(y.subarray(880 * 8, 1080 * 8), 8000), 1000);
    assert.equal(dominantHz(y.subarray(1320 * 8, 1680 * 8), 8000), 500);
    assert.ok(rms(y.subarray(1120 * 8, 1280 * 8)) < 50, 'silence between');
    await h.close();
    peer.close();
  });

  test('a missing file fails the operation with NOT_FOUND (reason surfaced); the call goes on', async () => {
    const peer = await RtpPeer.open();
    const h = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: peer.port } });
    const op = await h.play([{ kind: 'tone', tone: 'beep' }, { kind: 'file', path: join(work, 'nope.wav') }]);
    const r = await op.done;
    assert.equal(r.reason, 'error');
    assert.equal(r.code, 'NOT_FOUND');
    assert.match(r.error ?? '', /nope\.wav/);
    const n = peer.rtp.length;
    await until(() => peer.rtp.length > n + 5, 2000, 'silence keeps flowing');
    const ok = await h.play([{ kind: 'silence', ms: 40 }]);
    assert.deepEqual(await ok.done, { reason: 'finished' });
    await h.close();
    peer.close();
  });

  test('barge-in on an RFC 4733 digit stops the prompt (reason barge-in); the peer hears silence afterwards', async () => {
    const peer = await RtpPeer.open();
    const h = await engine.createEndpoint({ codec: PCMU, telephoneEvent: TE, remote: { address: '127.0.0.1', port: peer.port } });
    const digits: string[] = [];
    h.on('dtmf', (d) => digits.push(`${d.digit}/${d.source}`));
    const op = await h.play([{ kind: 'tone', tone: { freqs: [800], onMs: 1000, offMs: 0, totalMs: 0 } }], { loop: 0, bargeIn: 'dtmf' });
    await wait(400);
    let settled = false;
    void op.done.then(() => { settled = true; });
    assert.equal(settled, false, 'still playing before the digit');
    const t0 = Date.now();
    peer.sendDigit(h.localPort, '5');
    assert.deepEqual(await op.done, { reason: 'barge-in' });
    assert.ok(Date.now() - t0 < 300, `stopped ${Date.now() - t0} ms after the digit`);
    assert.deepEqual(digits, ['5/rfc4733']);
    const from = peer.rtp.length;
    await wait(200);
    assert.ok(rms(peer.decoded(0, from)) < 50, 'silence after barge-in');
    await h.close();
    peer.close();
  });

  test('barge-in on speech (VAD, started by the play itself): the prompt stops once the caller talks', { skip: !haveEspeak && 'espeak-ng missing' }, async () => {
    const raw = join(work, 'talk.wav');
    assert.equal(spawnSync('espeak-ng', ['-v', 'en-us', '-w', raw, 'hello, I would like to speak to someone about my bill']).status, 0);
    const sp8 = join(work, 'talk8k.wav');
    sox(raw, '-r', '8000', '-c', '1', '-b', '16', sp8);
    const speech = readWavPcm(sp8).samples;
    const peer = await RtpPeer.open();
    const h = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: peer.port } });
    const speechEvents: string[] = [];
    h.on('speech', (e) => speechEvents.push(e.state));
    const op = await h.play([{ kind: 'tone', tone: 'ringback' }], { loop: 0, bargeIn: 'speech' });
    // Half a second of silence first (trains the VAD's noise model), then the caller talks.
    const lead = new Int16Array(4000);
    const audio = new Int16Array(lead.length + speech.length);
    audio.set(speech, lead.length);
    const t0 = Date.now();
    const sending = peer.stream(h.localPort, audio);
    const r = await op.done;
    const at = Date.now() - t0;
    assert.deepEqual(r, { reason: 'barge-in' });
    assert.ok(at >= 500 && at < 1500, `barged in ${at} ms after the stream started (speech at 500 ms)`);
    assert.equal(speechEvents[0], 'start');
    await sending;
    await h.close();
    peer.close();
  });

  test('TTS of a choice played as {kind:"pcm"} (22.05 kHz, resampled once) and received as PCMU is recognized as that choice', { skip: !(haveEspeak && havePocketsphinx) && 'espeak-ng or pocketsphinx missing' }, async () => {
    const tts = new EspeakSynthesizer();
    const asr = new PocketsphinxRecognizer();
    const choices = [{ label: 'sales', phrases: ['sales'] }, { label: 'support', phrases: ['support'] }, { label: 'billing', phrases: ['billing'] }];
    const peer = await RtpPeer.open();
    const h = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: peer.port } });
    try {
      for (const word of ['billing', 'sales', 'support']) {
        const a = await tts.synthesize({ text: word });
        assert.equal(a.rate, 22050);
        const from = peer.rtp.length;
        const op = await h.play([{ kind: 'silence', ms: 200 }, { kind: 'pcm', rate: a.rate, samples: a.samples }, { kind: 'silence', ms: 200 }]);
        assert.deepEqual(await op.done, { reason: 'finished' });
        await wait(60);
        const got = peer.decoded(0, from);
        assert.ok(got.length >= (a.samples.length * 8000) / 22050, 'the whole prompt arrived');
        const r = await asr.recognizeChoices({ rate: 8000, samples: got }, choices);
        assert.equal(r.label, word, `'${word}' recognized as ${JSON.stringify(r)}`);
      }
    } finally {
      await tts.close();
      await h.close();
      peer.close();
    }
  });
});
