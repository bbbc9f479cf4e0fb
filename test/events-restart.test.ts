// Pending webhook deliveries survive kill -9: a real child process (test/helpers/events-
// worker.ts) appends events while the receiver is down and is SIGKILLed mid-retry; the
// receiver comes up slow and the restarted worker is SIGKILLed again with requests in flight;
// a third start delivers everything. Every event arrives, each call in order, and the
// re-sent ones carry the same event id.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { openDatabase } from '../src/store/index.ts';
import { startReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-events-kill-'));
const children = new Set<ChildProcess>();
let receiver: WebhookReceiver | undefined;
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await receiver?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Worker {
  child: ChildProcess;
  lines: string[];
  waitLine(pred: (lines: string[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
}

function startWorker(args: string[]): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/events-worker.ts', dataDir, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const lines: string[] = [];
  let buf = '';
  const checks = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
    for (const c of [...checks]) c();
  });
  return {
    child,
    lines,
    waitLine(pred, what, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => { checks.delete(check); reject(new Error(`worker: timed out waiting for ${what}; got ${lines.length} lines`)); }, timeoutMs);
        const check = (): void => {
          if (pred(lines)) { clearTimeout(t); checks.delete(check); resolve(); }
        };
        checks.add(check);
        check();
      });
    },
  };
}

function kill9(w: Worker): Promise<void> {
  return new Promise((resolve) => {
    w.child.once('exit', () => resolve());
    w.child.kill('SIGKILL');
  });
}

it('delivers every pending event after SIGKILL mid-retry and a restart, duplicates keeping their id', { timeout: 60_000 }, async () => {
  // Reserve a port, then take the receiver down: the first worker finds nobody listening.
  const probe = await startReceiver();
  const port = probe.port;
  await probe.close();
  const url = `http://127.0.0.1:${port}/hook`;
  const CALLS = 4;
  const PER_CALL = 5;

  const w1 = startWorker([url, String(CALLS), String(PER_CALL)]);
  await w1.waitLine((l) => l.filter((x) => x.startsWith('retry ')).length >= 8, 'retries against a down receiver');
  await kill9(w1);

  // Receiver up, but slow to answer the first time it sees an event: the next kill hits
  // requests in flight, which must be sent again with the same id.
  const seen = new Set<string>();
  receiver = await startReceiver(async (req) => {
    const id = String(req.headers['switchboard-event-id']);
    if (!seen.has(id)) {
      seen.add(id);
      await new Promise((r) => setTimeout(r, 1500));
    }
    return 200;
  }, port);
  const w2 = startWorker([]);
  await w2.waitLine((l) => l.includes('ready'), 'second start');
  await receiver.waitFor(CALLS);
  await kill9(w2);
  const beforeThird = receiver.received.length;

  const w3 = startWorker([]);
  await w3.waitLine((l) => l.includes('ready'), 'third start');
  // The database is the source of truth: watch it (another process; SQLite WAL allows it).
  const store = await openDatabase({ dataDir });
  try {
    for (let i = 0; i < 300 && (await store.outbox.countByState()).pending > 0; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise<void>((resolve) => { w3.child.once('exit', () => resolve()); w3.child.kill('SIGTERM'); });
    const counts = await store.outbox.countByState();
    assert.deepEqual(counts, { pending: 0, delivered: CALLS * PER_CALL, dead: 0 });
    const events = await store.outbox.listEvents({ limit: 1000 });
    const ids = new Set(events.map((e) => e.id));
    const arrivals = receiver.received.map((r) => ({ id: String(r.headers['switchboard-event-id']), body: JSON.parse(r.body) as { id: string; data: { call: number; n: number } } }));
    // Every event arrived; every arrival is one of ours and its body carries the header's id.
    assert.deepEqual(new Set(arrivals.map((a) => a.id)), ids);
    for (const a of arrivals) assert.equal(a.body.id, a.id);
    const duplicates = arrivals.length - ids.size;
    assert.ok(duplicates >= 1, `expected re-sent requests after the second kill (arrivals ${arrivals.length}, before third start ${beforeThird})`);
    for (let c = 0; c < CALLS; c++) {
      const ns = arrivals.filter((a) => a.body.data.call === c).map((a) => a.body.data.n);
      for (let i = 1; i < ns.length; i++) assert.ok(ns[i] === ns[i - 1] || ns[i] === ns[i - 1] + 1, `call ${c}: ${ns.join(',')}`);
    }
  } finally {
    await store.close();
  }
});
