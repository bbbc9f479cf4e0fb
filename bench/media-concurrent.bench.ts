// Concurrent calls with media: SIPp places N long calls to sip:playback@ and streams G.711
// µ-law speech into each (rtp_stream, from a raw file in a loop) while Switchboard plays a
// prompt loop back and runs RFC 4733 + in-band DTMF detection and VAD on every call.
// Measured: failed calls, Switchboard CPU per call, RSS per call, and — from a tshark capture
// of Switchboard's outbound RTP on loopback — the send-interval jitter (|interval − 20 ms|)
// p50/p99 per stream, and packets Switchboard did not send on time.
//
//   node --import tsx bench/media-concurrent.bench.ts [calls=1000] [holdSeconds=60] [rampPerSecond=100]
//
// Load generators run niced: SIPp and tshark share the 2 cores with Switchboard, and what is
// measured is Switchboard's send pacing, not who wins the run queue against the load generator
// (on a real deployment the callers are elsewhere). SIPp's threads are set to nice
// $SB_BENCH_LOADGEN_NICE (default 10; 0 = off) once found, tshark is started under `nice` with a
// 64 MB capture buffer (niced with the default 2 MB it lost ~12 % of the packets at 1,000 calls).
//
// Bounded: SIPp makes exactly `calls` calls (-m), each ends after holdSeconds; everything is
// killed after ramp + hold + 60 s.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { cpus, setPriority, tmpdir } from 'node:os';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { freeUdpPort, runSipp } from '../test/helpers/sipp.ts';

const calls = Number(process.argv[2] ?? 1000);
const hold = Number(process.argv[3] ?? 60);
const ramp = Number(process.argv[4] ?? 100);
const work = mkdtempSync(join(tmpdir(), 'sb-media-bench-'));

// Speech to stream: espeak-ng → 8 kHz µ-law raw, as TESTING.md describes.
const wav = join(work, 'speech.wav');
spawnSync('espeak-ng', ['-v', 'en-us', '-w', wav, 'Thank you for calling. Please say sales, support or billing, or press a key. '.repeat(3)]);
spawnSync('sox', [wav, '-r', '8000', '-c', '1', '-t', 'ul', join(work, 'speech.ulaw')]);
if (!existsSync(join(work, 'speech.ulaw'))) throw new Error('could not make speech.ulaw (espeak-ng and sox needed)');

const sipPort = await freeUdpPort();
const httpPort = await freeUdpPort();
// Extra node flags for the server, e.g. SB_BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' (profiles workers too).
const nodeArgs = (process.env.SB_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const server = spawn(process.execPath, [...nodeArgs, 'bin/switchboard.mjs', 'serve'], {
  env: {
    ...process.env,
    SWITCHBOARD_SIP_PORT: String(sipPort), SWITCHBOARD_HTTP_PORT: String(httpPort), SWITCHBOARD_SIP_WS_PORT: '0',
    SWITCHBOARD_DATA_DIR: join(work, 'data'), SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_BIND: '127.0.0.1',
    SWITCHBOARD_PUBLIC_HOST: '127.0.0.1', SWITCHBOARD_RTP_PORTS: '20000-29999',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});

async function metrics(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
}
for (let i = 0; ; i++) {
  try { if ((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).ok) break; } catch { /* starting */ }
  if (i > 100) throw new Error('server did not become ready');
  await new Promise((r) => setTimeout(r, 100));
}

/** RSS and CPU of the server and its worker threads (one process). */
function proc(): { rssMb: number; cpuS: number } {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  const f = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { rssMb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024, cpuS: (Number(f[11]) + Number(f[12])) / 100 };
}

/** media_* counters from /metrics (see src/server/metrics.ts). */
async function mediaCounters(): Promise<{ in: number; out: number; late: number; slips: number }> {
  const m = await metrics();
  const num = (re: RegExp) => Number(re.exec(m)?.[1] ?? NaN);
  return {
    in: num(/^media_rtp_packets_total\{direction="in"\} (\S+)/m), out: num(/^media_rtp_packets_total\{direction="out"\} (\S+)/m),
    late: num(/^media_tick_late_total (\S+)/m), slips: num(/^media_tick_slips_total (\S+)/m),
  };
}

/** Datagrams the kernel dropped on Switchboard's RTP sockets (receive buffer full): /proc/net/udp "drops", summed. */
function udpDrops(): number {
  let drops = 0;
  for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length < 13) continue;
      const port = parseInt(c[1].split(':')[1], 16);
      if (port >= 20000 && port <= 29999) drops += Number(c[c.length - 1]);
    }
  }
  return drops;
}

/** Whole-machine CPU jiffies (busy, total) from /proc/stat: how saturated the 2 cores were. */
function machineCpu(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], total };
}

const loadgenNice = Number(process.env.SB_BENCH_LOADGEN_NICE ?? 10);

/** Renice every thread of our SIPp children (setpriority is per thread on Linux); returns how many. */
function niceSipp(): number {
  if (!loadgenNice) return 0;
  let n = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
      const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
      if (comm !== 'sipp' || ppid !== process.pid) continue;
      for (const tid of readdirSync(`/proc/${pid}/task`)) { setPriority(Number(tid), loadgenNice); n++; }
    } catch { /* gone meanwhile */ }
  }
  return n;
}

const base = proc();
const sipp = runSipp({
  scenario: 'uac-playback-stream.xml', target: `127.0.0.1:${sipPort}`, service: 'playback', calls, rate: ramp,
  limit: calls, timeoutMs: (calls / ramp + hold + 60) * 1000, args: ['-d', String(hold * 1000), '-rtp_threadtasks', '64'],
  cwdFiles: { 'speech.ulaw': join(work, 'speech.ulaw') },
});

// Renice SIPp as soon as it runs (threads it creates later inherit), then wait until all calls
// are up and renice every thread again before measuring a steady window.
for (let i = 0; i < 50 && niceSipp() === 0 && loadgenNice; i++) await new Promise((r) => setTimeout(r, 20));
const upAt = calls / ramp + 3;
await new Promise((r) => setTimeout(r, upAt * 1000));
const sippThreadsNiced = niceSipp();
const active = Number(/^active_calls (\S+)/m.exec(await metrics())?.[1] ?? 0);
const loadAvg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const mc0 = await mediaCounters();
const cpu0 = machineCpu();
const s0 = proc();
const t0 = Date.now();
const pcap = join(work, 'out.pcap');
const window = Math.max(5, Math.min(15, hold - upAt - 5));
spawnSync('nice', ['-n', String(loadgenNice), 'timeout', String(window), 'tshark', '-i', 'lo', '-B', '64', '-w', pcap, '-f', 'udp src portrange 20000-29999', '-q'], { encoding: 'utf8' });
const s1 = proc();
const cpu1 = machineCpu();
const measured = (Date.now() - t0) / 1000;
const mc1 = await mediaCounters();
const drops = udpDrops();

// Send intervals per stream from the capture.
const fields = spawnSync('tshark', ['-r', pcap, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'udp.srcport', '-e', 'udp.dstport'], { encoding: 'utf8', maxBuffer: 1 << 30 });
const last = new Map<string, number>();
const dev: number[] = [];
let late = 0;
for (const line of fields.stdout.split('\n')) {
  const [t, sp, dp] = line.split('\t');
  if (!t || Number(sp) % 2 === 1) continue; // odd ports carry RTCP, not the 20 ms stream
  const k = `${sp}>${dp}`;
  const ms = Number(t) * 1000;
  const prev = last.get(k);
  if (prev !== undefined) {
    const d = Math.abs(ms - prev - 20);
    dev.push(d);
    if (ms - prev > 40) late++;
  }
  last.set(k, ms);
}
dev.sort((a, b) => a - b);
const pct = (p: number) => dev.length ? +dev[Math.min(dev.length - 1, Math.floor(dev.length * p))].toFixed(3) : NaN;

const r = await sipp;
const m = await metrics();
server.kill('SIGTERM');
console.log(JSON.stringify({
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  calls, holdSeconds: hold, rampPerSecond: ramp,
  sipp: { successful: r.successful, failed: r.failed, exit: r.code },
  activeCallsDuringWindow: active,
  // Captured vs sent: a capture that loses packets (dumpcap starved of CPU) shows gaps as 40 ms intervals.
  window: { seconds: +measured.toFixed(1), streams: last.size, packets: dev.length + last.size, capturedPerSecond: +((dev.length + last.size) / measured).toFixed(0) },
  sendIntervalJitterMs: { p50: pct(0.5), p99: pct(0.99), p999: pct(0.999), max: pct(1) },
  intervalsOver40ms: late,
  server: {
    cpuPercentOfOneCore: +(((s1.cpuS - s0.cpuS) / measured) * 100).toFixed(0),
    cpuPerCallPercent: active ? +((((s1.cpuS - s0.cpuS) / measured) * 100) / active).toFixed(3) : NaN,
    rssMbIdle: +base.rssMb.toFixed(0), rssMbLoaded: +s1.rssMb.toFixed(0),
    rssKbPerCall: active ? +(((s1.rssMb - base.rssMb) * 1024) / active).toFixed(0) : NaN,
  },
  loadAverageAtWindowStart: loadAvg,
  loadGeneratorNice: { nice: loadgenNice, sippThreadsNiced },
  machineCpuBusyPercent: +((100 * (cpu1.busy - cpu0.busy)) / (cpu1.total - cpu0.total)).toFixed(0),
  engineDuringWindow: {
    packetsInPerSecond: +((mc1.in - mc0.in) / measured).toFixed(0),
    packetsOutPerSecond: +((mc1.out - mc0.out) / measured).toFixed(0),
    expectedPerSecond: active * 50,
    lateTicks: mc1.late - mc0.late, slips: mc1.slips - mc0.slips,
  },
  kernelDropsOnRtpSockets: drops,
  mediaCounters: m.split('\n').filter((l) => /^media_/.test(l)).slice(0, 20),
}, null, 2));
if (r.failed > 0) console.log(r.errors.slice(0, 2000));
