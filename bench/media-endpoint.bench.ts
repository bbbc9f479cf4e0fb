/**
 * Microbenchmark of one media worker's tick work per call, without SIP or timers: N real
 * RtpEndpoints (sockets on 127.0.0.1) configured like sip:playback@ (prompt loop playing,
 * RFC 4733 + in-band DTMF + VAD detecting), each fed one 20 ms PCMU packet of speech-like audio
 * per tick (through `onRtp`, the socket callback's body), then the worker's two tick phases.
 * Prints µs per call per tick for receive, inbound and outbound (encode + the real send(2) to a
 * local sink socket), so per-call costs can be compared change by change.
 *
 *   node --import tsx bench/media-endpoint.bench.ts [calls=200] [ticks=1500] [features=inband,vad,play]
 */
import { createSocket } from 'node:dgram';
import { PCMU, RtpEndpoint, Vad, pcmuEncodeInto, writeRtp, type EndpointHost } from '../src/media/index.ts';
import { openPlaylist } from '../src/media/play/index.ts';
import { speechLike } from '../src/media/dsp/test-signals.ts';

const calls = Number(process.argv[2] ?? 200);
const ticks = Number(process.argv[3] ?? 1500);
const features = new Set((process.argv[4] ?? 'inband,vad,play').split(',').filter(Boolean));
const FRAME = 160;

// The peer: one sink socket that drains what the endpoints send (as SIPp would).
const sink = createSocket('udp4');
let received = 0;
sink.on('message', () => { received++; });
await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
const sinkPort = sink.address().port;

const speech = speechLike(10, 3);
const ulaw = new Uint8Array(speech.length);
pcmuEncodeInto(speech, ulaw);
const packets: Buffer[] = [];
for (let i = 0; i + FRAME <= speech.length; i += FRAME) {
  const b = Buffer.alloc(12 + FRAME);
  writeRtp({ marker: false, payloadType: PCMU.payloadType, sequenceNumber: (i / FRAME) & 0xffff, timestamp: i, ssrc: 0x1234 }, ulaw.subarray(i, i + FRAME), b);
  packets.push(b);
}

const host: EndpointHost = { emit: () => {}, opDone: () => {}, wallNow: () => Date.now() };
let now = 1000;
const eps: RtpEndpoint[] = [];
for (let i = 0; i < calls; i++) {
  const ep = await RtpEndpoint.open(0, '127.0.0.1', {
    codec: { name: 'PCMU', clockRate: 8000, payloadType: 0 }, telephoneEvent: { payloadType: 101, clockRate: 8000 },
    remote: { address: '127.0.0.1', port: sinkPort },
  }, host, now);
  const vad = features.has('vad') ? await Vad.create({ rate: 8000 }) : undefined;
  ep.detect({ rfc4733: true, inband: features.has('inband'), vad: vad !== undefined }, vad);
  if (features.has('play')) ep.startPlay(1, await openPlaylist([{ kind: 'tone', tone: 'beep' }, { kind: 'silence', ms: 1750 }], 8000, { loop: 0 }), undefined);
  eps.push(ep);
}

const t = { rx: 0n, in: 0n, out: 0n };
const heap0 = process.memoryUsage();
for (let k = 0; k < ticks; k++) {
  now += 20;
  const p = packets[k % packets.length];
  // Sequence numbers must advance for the jitter buffer: rewrite them in place.
  p.writeUInt16BE(k & 0xffff, 2);
  p.writeUInt32BE((k * FRAME) >>> 0, 4);
  let a = process.hrtime.bigint();
  for (const ep of eps) ep.onRtp(p, '127.0.0.1', sinkPort, now);
  let b = process.hrtime.bigint();
  if (k >= ticks / 5) t.rx += b - a;
  a = b;
  for (const ep of eps) ep.pullInbound(now);
  b = process.hrtime.bigint();
  if (k >= ticks / 5) t.in += b - a;
  a = b;
  for (const ep of eps) ep.pushOutbound(now);
  b = process.hrtime.bigint();
  if (k >= ticks / 5) t.out += b - a;
  // Let the sink drain (and the sockets' send callbacks run) every few ticks.
  if (k % 5 === 0) await new Promise((r) => setImmediate(r));
}
const measured = ticks - ticks / 5;
const us = (ns: bigint) => +(Number(ns) / 1000 / measured / calls).toFixed(2);
const heap1 = process.memoryUsage();
console.log(JSON.stringify({
  calls, ticks, features: [...features],
  usPerCallPerTick: { receive: us(t.rx), inbound: us(t.in), outbound: us(t.out), total: us(t.rx + t.in + t.out) },
  percentOfOneCorePerCall: +((Number(t.rx + t.in + t.out) / 1e6 / measured / calls / 20) * 100).toFixed(3),
  heapKbPerCall: +((heap1.heapUsed - heap0.heapUsed) / 1024 / calls).toFixed(1),
  sinkReceived: received,
}));
for (const ep of eps) await ep.close();
sink.close();
