// Call setup throughput: SIPp on loopback places INVITE/100/200/ACK/BYE/200 calls against
// Switchboard's built-in `sip:answer@` target at a fixed rate for a fixed time, while this
// script samples Switchboard's RSS. Not a test: it measures and prints.
//
//   node --import tsx bench/call-setup.bench.ts [rate=1500] [seconds=60] [linger=40]
//
// Bounded: SIPp stops after rate·seconds calls (-m) and is killed after seconds+30 s.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { freeUdpPort, runSipp } from '../test/helpers/sipp.ts';

const rate = Number(process.argv[2] ?? 1500);
const seconds = Number(process.argv[3] ?? 60);
const linger = Number(process.argv[4] ?? 40);

const sipPort = await freeUdpPort();
const httpPort = await freeUdpPort();
const server = spawn(process.execPath, ['bin/switchboard.mjs', 'serve'], {
  env: {
    ...process.env,
    SWITCHBOARD_SIP_PORT: String(sipPort), SWITCHBOARD_HTTP_PORT: String(httpPort), SWITCHBOARD_SIP_WS_PORT: '0',
    SWITCHBOARD_DATA_DIR: `/tmp/sb-bench-${process.pid}`, SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_BIND: '127.0.0.1',
    SWITCHBOARD_PUBLIC_HOST: '127.0.0.1',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});

async function ready(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
      if (r.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not become ready');
}

function rssMb(): number {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

function cpuSeconds(): number {
  const f = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime in clock ticks (100 Hz)
}

await ready();
/** V8 heap in use (MB), read from Switchboard's own /metrics (prom-client's default process metrics). */
async function heapMb(): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    return Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? 0) / 2 ** 20;
  } catch {
    return 0;
  }
}

const samples: { t: number; rss: number; heap: number }[] = [];
const t0 = Date.now();
const sampler = setInterval(() => {
  void heapMb().then((heap) => samples.push({ t: (Date.now() - t0) / 1000, rss: rssMb(), heap }));
}, 1000);
const cpu0 = cpuSeconds();
const r = await runSipp({
  scenario: 'uac-invite-bye.xml', target: `127.0.0.1:${sipPort}`, service: 'answer',
  calls: rate * seconds, rate, limit: rate * 4, timeoutMs: (seconds + 30) * 1000, args: ['-d', '0'],
});
const cpuUsed = cpuSeconds() - cpu0;
const elapsed = (Date.now() - t0) / 1000;
await new Promise((res) => setTimeout(res, linger * 1000));
clearInterval(sampler);
server.kill('SIGTERM');

const at = (s: number) => samples.reduce((best, x) => (Math.abs(x.t - s) < Math.abs(best.t - s) ? x : best), samples[0]);
console.log(JSON.stringify({
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  rate, seconds, elapsed: +elapsed.toFixed(1),
  successful: r.successful, failed: r.failed, sippExit: r.code,
  achievedCps: +(r.successful / elapsed).toFixed(0),
  serverCpuPercentOfOneCore: +((cpuUsed / elapsed) * 100).toFixed(0),
  rssMb: { start: at(0)?.rss, endOfLoad: at(elapsed)?.rss, afterLinger: samples[samples.length - 1]?.rss, max: Math.max(...samples.map((s) => s.rss)) },
  heapUsedMb: { start: at(0)?.heap, endOfLoad: at(elapsed)?.heap, afterLinger: samples[samples.length - 1]?.heap, max: Math.max(...samples.map((s) => s.heap)) },
}, null, 2));
// Every 5th second: is memory flat once the 32 s transaction linger is reached?
console.log('t(s)  rssMB  heapMB');
for (const x of samples.filter((_, i) => i % 5 === 0)) console.log(`${x.t.toFixed(0).padStart(4)} ${x.rss.toFixed(0).padStart(6)} ${x.heap.toFixed(0).padStart(7)}`);
if (r.failed > 0) console.log(r.errors.slice(0, 2000));
