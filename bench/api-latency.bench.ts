// Native API and events latency with many calls up (issue 4, "Speed"):
//   - API command latency: HTTP request → 202 for play and recognize, p50/p99;
//   - API play command → first RTP packet of the prompt at the caller (goal p99 ≤ 20 ms);
//   - the caller's RFC 4733 end packet → webhook POST (recognize.completed) arriving at the
//     application (goal p99 ≤ 20 ms on loopback).
//
//   node --import tsx bench/api-latency.bench.ts [calls=200] [measured=100] [latched|silent]
//
// Set-up: Switchboard runs as its own process (bin/switchboard.mjs serve, config file with one
// application and a number). This process is the application: a node:http webhook endpoint
// that answers every call.incoming with POST /v1/calls/{id}/answer (it does not verify
// signatures: the cost measured is Switchboard's), and the callers' media: one node:dgram
// socket per call, whose port SIPp offers in its SDP (e2e-uac-hold.xml, injection file), so
// RTP from Switchboard lands here and our RFC 4733 packets go back to the address it sends
// from (symmetric RTP). All calls stay up while `measured` of them are measured one after the
// other (one command in flight at a time: this is latency, not throughput). Every time is
// taken with performance.now() in this one process.
//
// Bounded: SIPp makes exactly `calls` calls; every wait has a timeout; the server is killed
// at the end (and after 240 s whatever happens).
import { spawn, spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freeUdpPort, runSipp } from '../test/helpers/sipp.ts';

const CALLS = Number(process.argv[2] ?? 200);
const MEASURED = Math.min(CALLS, Number(process.argv[3] ?? 100));
/**
 * 'latched' (default): before phase 1 each measured caller sends a few RTP packets, as a phone
 * does all along, so Switchboard's latch settles and its RTP socket is connect()ed — the state
 * of every call whose caller sends audio, and the one in which a prompt's first frame can leave
 * at once (src/media/engine/rtp-endpoint.ts sendFirstFrameNow). 'silent': callers never send
 * before phase 1 (the first measurements of this bench), so prompts start on the next tick.
 */
const CALLERS = process.argv[4] === 'silent' ? 'silent' : 'latched';
const KEY = 'bench-api-latency-key-0123456789';
const NUMBER = '+4930700700';
const work = mkdtempSync(join(tmpdir(), 'sb-api-latency-'));
const hardStop = setTimeout(() => { console.error('bench: hard timeout'); process.exit(2); }, 240_000);
hardStop.unref();

// ---- the callers' media: one dgram socket per call -------------------------------------
interface Peer {
  sock: Socket;
  port: number;
  callId?: string;
  /** Where Switchboard sends this call's RTP from (learned from its packets). */
  sb?: { address: string; port: number };
  /** Resolves on the first packet carrying sound (not µ-law silence) while armed. */
  onSound?: (t: number) => void;
  /** Resolves on recognize.completed for this call. */
  onRecognized?: (t: number, tones: unknown) => void;
}
const peers: Peer[] = [];
const byPort = new Map<number, Peer>();
const byCall = new Map<string, Peer>();
/** µ-law codes within a few steps of zero: silence, or a tone crossing zero. */
const quiet = (b: number): boolean => (b & 0x7f) >= 0x7c;
for (let i = 0; i < CALLS; i++) {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const p: Peer = { sock, port: sock.address().port };
  sock.on('message', (m, rinfo) => {
    const t = performance.now();
    p.sb ??= { address: rinfo.address, port: rinfo.port };
    if (!p.onSound || m.length <= 12 || (m[1] & 0x7f) !== 0) return;
    for (let k = 12; k < m.length; k++) {
      if (!quiet(m[k])) {
        const f = p.onSound;
        p.onSound = undefined;
        f(t);
        return;
      }
    }
  });
  peers.push(p);
  byPort.set(p.port, p);
}
writeFileSync(join(work, 'peers.csv'), `SEQUENTIAL\n${peers.map((p) => `${p.port};`).join('\n')}\n`);

// ---- the application -------------------------------------------------------------------
let api = '';
const answered = new Set<string>();
let answerErrors = 0;
const post = async (path: string, body?: unknown): Promise<number> => {
  const res = await fetch(`${api}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  await res.arrayBuffer();
  return res.status;
};
const hook = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const t = performance.now();
    res.writeHead(204).end();
    const e = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type: string; callId: string; data: Record<string, unknown> };
    if (e.type === 'call.incoming') {
      const port = Number(String((e.data.from as { number?: string }).number ?? '').replace('+', ''));
      const p = byPort.get(port);
      if (p) { p.callId = e.callId; byCall.set(e.callId, p); }
      post(`/v1/calls/${e.callId}/answer`).then((s) => { if (s !== 202) answerErrors++; }, () => answerErrors++);
    } else if (e.type === 'call.answered') {
      answered.add(e.callId);
    } else if (e.type === 'recognize.completed' || e.type === 'recognize.failed') {
      const p = byCall.get(e.callId);
      const f = p?.onRecognized;
      if (p) p.onRecognized = undefined;
      f?.(t, e.type === 'recognize.completed' ? e.data.tones : e.data.result);
    }
  });
});
hook.keepAliveTimeout = 60_000;
await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));

// ---- Switchboard -----------------------------------------------------------------------
const sipPort = await freeUdpPort();
const httpPort = await freeUdpPort();
writeFileSync(join(work, 'switchboard.yaml'), `
applications:
  - name: bench-app
    apiKeys: ["${KEY}"]
    callbackUrl: "http://127.0.0.1:${(hook.address() as AddressInfo).port}/events"
    numbers: ["${NUMBER}"]
`);
const server = spawn(process.execPath, ['bin/switchboard.mjs', 'serve'], {
  env: {
    ...process.env,
    SWITCHBOARD_SIP_PORT: String(sipPort), SWITCHBOARD_HTTP_PORT: String(httpPort), SWITCHBOARD_SIP_WS_PORT: '0',
    SWITCHBOARD_DATA_DIR: join(work, 'data'), SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_BIND: '127.0.0.1',
    SWITCHBOARD_PUBLIC_HOST: '127.0.0.1', SWITCHBOARD_CONFIG: join(work, 'switchboard.yaml'),
    SWITCHBOARD_ADMIN_KEY: 'bench-admin-key-0123456789',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
api = `http://127.0.0.1:${httpPort}`;
process.on('exit', () => { if (server.exitCode === null) server.kill('SIGKILL'); });
for (let i = 0; ; i++) {
  try { if ((await fetch(`${api}/readyz`)).ok) break; } catch { /* starting */ }
  if (i > 150) throw new Error('server did not become ready');
  await new Promise((r) => setTimeout(r, 100));
}

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> => Promise.race([
  p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`timeout: ${what}`)), ms)),
]);
const sipp = runSipp({
  scenario: 'e2e-uac-hold.xml', target: `127.0.0.1:${sipPort}`, service: NUMBER, calls: CALLS, rate: 50, limit: CALLS,
  timeoutMs: 200_000, args: ['-inf', join(work, 'peers.csv')],
});
const upBy = performance.now() + 30_000;
while (answered.size < CALLS && performance.now() < upBy) await new Promise((r) => setTimeout(r, 50));
if (answered.size < CALLS) {
  const r = await within(sipp, 1000, 'sipp').catch(() => undefined);
  throw new Error(`only ${answered.size} of ${CALLS} calls answered (answer errors ${answerErrors}); sipp: ${r ? `${r.stderr.slice(-800)} ${r.errors.slice(-800)} ${r.messages.slice(-1500)}` : 'still running'}`);
}
await new Promise((r) => setTimeout(r, 1000)); // let set-up traffic settle


// ---- phase 0 (latched callers): each measured caller's first RTP packets ---------------
const measuredFirst = peers.filter((p) => p.callId && answered.has(p.callId)).slice(0, MEASURED);
let latchMissed = 0;
if (CALLERS === 'latched') {
  // Switchboard's RTP address is learned from its packets: a short silence prompt, then three
  // 20 ms µ-law silence packets back to where it sends from (symmetric RTP).
  for (const p of measuredFirst) {
    if (await post(`/v1/calls/${p.callId}/play`, { sources: [{ kind: 'silence', durationMs: 60 }] }) !== 202) throw new Error('warm-up play refused');
    for (let i = 0; i < 100 && !p.sb; i++) await new Promise((r) => setTimeout(r, 20));
    if (!p.sb) { latchMissed++; continue; }
    const ssrc = (Math.random() * 2 ** 32) >>> 0;
    for (let k = 0; k < 3; k++) {
      const b = Buffer.alloc(12 + 160, 0xff);
      b[0] = 0x80; b[1] = k === 0 ? 0x80 : 0; b.writeUInt16BE(k, 2); b.writeUInt32BE(k * 160, 4); b.writeUInt32BE(ssrc, 8);
      p.sock.send(b, p.sb.port, p.sb.address);
    }
  }
  await new Promise((r) => setTimeout(r, 500)); // the warm-up prompts end; the latches settle
}

// ---- phase 1: play → 202 and → first sound at the caller ------------------------------
const playApi: number[] = [];
const playRtp: number[] = [];
let playMissed = 0;
const measuredPeers = peers.filter((p) => p.callId && answered.has(p.callId)).slice(0, MEASURED);
for (const p of measuredPeers) {
  const sound = new Promise<number>((r) => { p.onSound = r; });
  const t0 = performance.now();
  const status = await post(`/v1/calls/${p.callId}/play`, { sources: [{ kind: 'tone', frequencies: [1000], durationMs: 200 }] });
  const t1 = performance.now();
  if (status !== 202) throw new Error(`play answered ${status}`);
  playApi.push(t1 - t0);
  try { playRtp.push((await within(sound, 2000, 'first RTP of the prompt')) - t0); } catch { playMissed++; p.onSound = undefined; }
  await new Promise((r) => setTimeout(r, 250));
}

// ---- phase 2: recognize → 202; RFC 4733 digit → webhook --------------------------------
const recognizeApi: number[] = [];
const fromEnd: number[] = [];
const fromStart: number[] = [];
let dtmfMissed = 0;
const te = (seq: number, ts: number, ssrc: number, marker: boolean, end: boolean, duration: number): Buffer => {
  const b = Buffer.alloc(16);
  b[0] = 0x80; b[1] = (marker ? 0x80 : 0) | 101;
  b.writeUInt16BE(seq & 0xffff, 2); b.writeUInt32BE(ts >>> 0, 4); b.writeUInt32BE(ssrc >>> 0, 8);
  b[12] = 5; b[13] = (end ? 0x80 : 0) | 10; b.writeUInt16BE(duration, 14); // RFC 4733 §2.3: event 5, volume −10 dBm0
  return b;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
for (const p of measuredPeers) {
  if (!p.sb) { dtmfMissed++; continue; }
  const done = new Promise<{ t: number; tones: unknown }>((r) => { p.onRecognized = (t, tones) => r({ t, tones }); });
  const t0 = performance.now();
  const status = await post(`/v1/calls/${p.callId}/recognize`, { mode: 'dtmf', maxTones: 1, initialSilenceTimeoutMs: 5000 });
  recognizeApi.push(performance.now() - t0);
  if (status !== 202) throw new Error(`recognize answered ${status}`);
  const ssrc = (Math.random() * 2 ** 32) >>> 0;
  let seq = (Math.random() * 65535) | 0;
  const ts = (Math.random() * 2 ** 31) >>> 0;
  const send = (b: Buffer) => p.sock.send(b, p.sb!.port, p.sb!.address);
  const tStart = performance.now();
  // A 100 ms digit: start (marker) and updates every 20 ms, then the end packet three times (RFC 4733 §2.5.1.4).
  for (let d = 160; d <= 800; d += 160) { send(te(seq++, ts, ssrc, d === 160, false, d)); await sleep(20); }
  const tEnd = performance.now();
  for (let k = 0; k < 3; k++) send(te(seq++, ts, ssrc, false, true, 800));
  try {
    const r = await within(done, 3000, 'recognize.completed');
    if (JSON.stringify(r.tones) !== '["5"]') throw new Error(`recognized ${JSON.stringify(r.tones)}`);
    fromEnd.push(r.t - tEnd);
    fromStart.push(r.t - tStart);
  } catch { dtmfMissed++; p.onRecognized = undefined; }
  await sleep(50);
}

// ---- teardown --------------------------------------------------------------------------
let hangupErrors = 0;
for (const p of peers) if (p.callId) if ((await post(`/v1/calls/${p.callId}/hangup`, { forEveryone: true }).catch(() => 0)) !== 202) hangupErrors++;
const sr = await within(sipp, 60_000, 'sipp exit').catch(() => undefined);
server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
hook.closeAllConnections();
hook.close();
for (const p of peers) p.sock.close();

const pct = (xs: number[], q: number): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return +s[Math.min(s.length - 1, Math.ceil(s.length * q) - 1)].toFixed(2);
};
const summary = (xs: number[]) => ({ n: xs.length, p50: pct(xs, 0.5), p99: pct(xs, 0.99), max: pct(xs, 1) });
console.log(JSON.stringify({
  bench: 'api-latency',
  command: `node --import tsx bench/api-latency.bench.ts ${CALLS} ${MEASURED} ${CALLERS}`,
  callers: CALLERS,
  latchMissed,
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadAvg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') },
  callsUp: answered.size,
  apiPlayMs: summary(playApi),
  apiRecognizeMs: summary(recognizeApi),
  playToFirstRtpMs: { ...summary(playRtp), missed: playMissed },
  dtmfEndToWebhookMs: { ...summary(fromEnd), missed: dtmfMissed },
  dtmfStartToWebhookMs: summary(fromStart),
  errors: { answer: answerErrors, hangup: hangupErrors, sippExit: sr?.code ?? 'timeout', sippOk: sr?.successful, sippFailed: sr?.failed },
  sippVersion: spawnSync('sipp', ['-v'], { encoding: 'utf8' }).stdout.match(/v[\d.]+/)?.[0],
}, null, 2));
process.exit(0);
