// Media side of "play command → first RTP packet of the prompt": one MediaEngine (real worker
// thread, real UDP on 127.0.0.1), one endpoint whose peer is confirmed (connected socket), and
// `plays` short tone prompts started at spread-out phases of the 20 ms tick. Measured from the
// handle's play() call to the arrival of the first packet with sound at the peer (a node:dgram
// socket in this process). Run twice to compare: SWITCHBOARD_MEDIA_START_NOW=0 starts prompts on
// the next tick (the old behaviour).
//
//   node --import tsx bench/media-play-start.bench.ts [plays=100]
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { MediaEngine } from '../src/media/index.ts';
import { ULAW_DECODE } from '../src/media/codecs/index.ts';
import { RtpPeer, until, wait } from '../src/media/worker/test-rtp-peer.ts';

const plays = Number(process.argv[2] ?? 100);
const engine = await MediaEngine.start({ workers: 1, portMin: 42200, portMax: 42299, bindAddress: '127.0.0.1' });
const p = await RtpPeer.open();
const h = await engine.createEndpoint({ codec: { name: 'PCMU', clockRate: 8000, payloadType: 0 }, remote: { address: '127.0.0.1', port: p.port } });
for (let i = 0; i < 3; i++) p.sendRtp(h.localPort, 0, new Uint8Array(160).fill(0xff));
await until(() => p.rtp.length >= 5, 3000, 'silence');
const loud = (b: Buffer) => { let s = 0; for (let i = 0; i < b.length; i++) s += Math.abs(ULAW_DECODE[b[i]]); return s / b.length > 500; };
const ms: number[] = [];
let startedNow = 0;
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
for (let k = 0; k < plays; k++) {
  await wait(5 + ((k * 7) % 23));
  const from = p.rtp.length;
  const t0 = performance.now();
  const op = await h.play([{ kind: 'tone', tone: { freqs: [1000], onMs: 60, offMs: 0, totalMs: 60 } }]);
  await until(() => p.rtp.slice(from).some((r) => loud(r.payload)), 3000, 'prompt');
  const first = p.rtp.slice(from).find((r) => loud(r.payload))!;
  ms.push(first.atMs - t0);
  if (first.marker) startedNow++;
  await op.done;
  await wait(45);
}
await h.close();
p.close();
await engine.close();
ms.sort((a, b) => a - b);
const q = (x: number) => +ms[Math.min(ms.length - 1, Math.floor(x * ms.length))].toFixed(2);
console.log(JSON.stringify({
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, loadAverageAtStart: load,
  startNow: process.env.SWITCHBOARD_MEDIA_START_NOW !== '0', plays, startedAtOnce: startedNow,
  playToFirstPacketMs: { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: q(1) },
}));
