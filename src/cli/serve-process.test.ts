// The real thing: `node bin/switchboard.mjs serve` as a child process. It must become ready,
// print the generated admin key exactly once (and store it), stop on SIGTERM with exit 0,
// and on a second start with the same data dir not print the key again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../bin/switchboard.mjs', import.meta.url).pathname;

/** A port that was free a moment ago: bind 0, read it, release it. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

interface Run {
  stdout: () => string;
  exited: Promise<number | null>;
  kill: (signal: NodeJS.Signals) => void;
}

function serve(dataDir: string, httpPort: number): Run {
  const env: NodeJS.ProcessEnv = {};
  // Inherit PATH and friends but none of the operator's Switchboard settings.
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SWITCHBOARD_') && k !== 'DATABASE_URL') env[k] = v;
  Object.assign(env, {
    SWITCHBOARD_HTTP_PORT: String(httpPort), SWITCHBOARD_BIND: '127.0.0.1', SWITCHBOARD_PUBLIC_HOST: '127.0.0.1',
    SWITCHBOARD_SIP_PORT: '0', SWITCHBOARD_SIP_WS_PORT: '0', SWITCHBOARD_DATA_DIR: dataDir,
  });
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    if (code !== 0) process.stderr.write(`serve stderr:\n${err}\nstdout:\n${out}\n`);
    resolve(code);
  }));
  return { stdout: () => out, exited, kill: (s) => child.kill(s) };
}

async function waitReady(port: number, run: Run, timeoutMs = 15000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let exited = false;
  void run.exited.then(() => { exited = true; });
  while (Date.now() < until && !exited) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.status === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready within ${timeoutMs} ms; stdout so far:\n${run.stdout()}`);
}

test('serve: ready, admin key printed once and stored, SIGTERM exits 0, restart is silent', { timeout: 40000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-serve-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));

  const port = await freePort();
  const first = serve(dataDir, port);
  try {
    await waitReady(port, first);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /^# TYPE sip_messages_total counter$/m);
  } finally {
    first.kill('SIGTERM');
  }
  assert.equal(await first.exited, 0);

  const stored = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
  assert.equal(statSync(join(dataDir, 'admin-key')).mode & 0o777, 0o600);
  const announcements = first.stdout().split('\n').filter((l) => l.includes('admin API key (shown once'));
  assert.equal(announcements.length, 1);
  assert.ok(announcements[0].endsWith(stored));
  assert.equal(first.stdout().split(stored).length - 1, 1, 'the key appears once in the whole output, never in logs');
  const logs = first.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string });
  assert.ok(logs.some((l) => l.msg === 'draining'), 'logged draining');
  assert.equal(logs.at(-1)?.msg, 'stopped');

  const second = serve(dataDir, port);
  try {
    await waitReady(port, second);
  } finally {
    second.kill('SIGTERM');
  }
  assert.equal(await second.exited, 0);
  assert.ok(!second.stdout().includes('admin API key'), 'no announcement on the second start');
  assert.ok(!second.stdout().includes(stored), 'and the key is not printed');
});
