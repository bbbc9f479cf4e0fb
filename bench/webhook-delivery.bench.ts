// Webhook delivery throughput with SQLite: events are appended (transactions of `batch`
// events spread over `calls` calls) while the delivery engine sends them, signed, to a
// node:http receiver on loopback answering 204. Reports events/s from the first append to
// the last delivery, the same run's CPU time and the 1-minute load average. Not a test: it
// measures and prints. The engine runs with its defaults (keep-alive node:http client).
//
//   node --import tsx bench/webhook-delivery.bench.ts [events=20000] [calls=500] [concurrency=128] [batch=100]
//
// Bounded: it stops after `events` deliveries or 120 s, whichever comes first.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { newEventId } from '../src/core/index.ts';
import { WebhookDeliveryEngine } from '../src/events/index.ts';
import { openDatabase } from '../src/store/index.ts';
import { spawn } from 'node:child_process';

const total = Number(process.argv[2] ?? 20_000);
const calls = Number(process.argv[3] ?? 500);
const concurrency = Number(process.argv[4] ?? 128);
const batch = Number(process.argv[5] ?? 100);

const dataDir = mkdtempSync(join(tmpdir(), 'sb-bench-webhooks-'));
const store = await openDatabase({ dataDir });
await store.migrate();
// The receiver runs in its own process so its CPU is not counted as Switchboard's.
const receiverProc = spawn(process.execPath, ['-e', `
  let n = 0;
  const s = require('node:http').createServer((req, res) => { req.resume(); req.on('end', () => { n++; res.writeHead(204).end(); }); });
  s.keepAliveTimeout = 60000;
  s.listen(0, '127.0.0.1', () => console.log(s.address().port));
  process.on('SIGTERM', () => { console.log('received ' + n); process.exit(0); });
`], { stdio: ['ignore', 'pipe', 'inherit'] });
const receiverPort = await new Promise<number>((resolve) => receiverProc.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
const receiver = { url: `http://127.0.0.1:${receiverPort}/hook` };
const engine = new WebhookDeliveryEngine({ outbox: store.outbox, concurrency, secrets: () => ['bench-secret', 'bench-old-secret'] });
let delivered = 0;
let failed = 0;
let done!: () => void;
const finished = new Promise<void>((r) => { done = r; });
engine.on('delivered', () => { if (++delivered + failed >= total) done(); });
engine.on('dead', () => { if (delivered + ++failed >= total) done(); });
engine.on('retry', () => { failed++; });
await engine.start();

const cpu0 = process.cpuUsage();
const t0 = performance.now();
let appended = 0;
let seqByCall = 0;
while (appended < total) {
  const n = Math.min(batch, total - appended);
  await store.transaction(async (tx) => {
    await tx.outbox.appendMany(
      Array.from({ length: n }, (_, i) => ({
        event: {
          id: newEventId(), type: 'call.tick', applicationId: 'bench', callId: `call-${(seqByCall + i) % calls}`,
          occurredAt: new Date().toISOString(), data: { i: appended + i, payload: 'x'.repeat(200) },
        },
        targets: [{ url: receiver.url }],
      })),
    );
  });
  seqByCall += n;
  appended += n;
  // Let delivery run between appends, as it would while calls produce events.
  await new Promise((r) => setImmediate(r));
}
const tAppended = performance.now();
const timeout = setTimeout(() => done(), 120_000);
await finished;
clearTimeout(timeout);
const t1 = performance.now();
const cpu = process.cpuUsage(cpu0);
const secs = (t1 - t0) / 1000;
console.log(JSON.stringify({
  events: total, calls, concurrency, batch, delivered, retriesOrDead: failed,
  appendSeconds: +((tAppended - t0) / 1000).toFixed(2), totalSeconds: +secs.toFixed(2),
  eventsPerSecond: Math.round(delivered / secs),
  cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(2), node: process.version,
  // The machine is shared: say how busy it was, or the number means little.
  loadAverage1m: +loadavg()[0].toFixed(2),
}));
await engine.stop();
receiverProc.kill('SIGTERM');
await store.close();
rmSync(dataDir, { recursive: true, force: true });
