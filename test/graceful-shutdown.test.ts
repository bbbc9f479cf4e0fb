// Graceful shutdown end to end (docs/operations: SIGTERM → drain → stop): while a node drains,
// a new INVITE gets 503 + Retry-After and /readyz says 503; the call that is still up when
// shutdown.drainTimeoutMs runs out is ended with BYE; then stop() resolves and every port is
// closed. Once in-process (server.stop(), which is what the SIGTERM handler calls) and once
// against the real `switchboard serve` process receiving SIGTERM.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';

const available = sippAvailable();
if (!available && process.env.CI === 'true') throw new Error('sipp is not installed (apt package sip-tester); .ci/run must install it');

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const DRAIN_MS = 1500;

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if (await cond()) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** Resolves true when a TCP connect to the port is refused (nothing listens any more). */
function tcpRefused(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); res(false); });
    s.once('error', () => res(true));
  });
}

function freeTcpPort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

const uaStats = (n: TestNode) => (n.server.service('sip') as unknown as { ua: { stats(): { dialogs: number; sessions: number } } }).ua.stats();

describe('graceful shutdown', { skip: !available && 'sipp not installed' }, () => {
  let node: TestNode | undefined;
  let child: ChildProcess | undefined;
  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (node?.server.state !== 'stopped') await node?.stop();
  });

  test('in-process: draining refuses new calls with 503, ends the active call with BYE at the deadline, closes ports', async () => {
    node = await startNode({ yaml: `shutdown:\n  drainTimeoutMs: ${DRAIN_MS}\n` });
    const n = node;
    const longCall = runSipp({ scenario: 'uac-long-call.xml', target: n.sip, timeoutMs: 25_000 });
    assert.ok(await waitFor(() => uaStats(n).dialogs === 1, 5000), 'the long call was established');

    const t0 = Date.now();
    const stopped = n.server.stop('test: SIGTERM');
    let stopResolvedAt = 0;
    void stopped.then(() => { stopResolvedAt = Date.now(); });

    const ready = await fetch(`${n.http}/readyz`);
    assert.equal(ready.status, 503);
    const refused = await runSipp({ scenario: 'uac-expect-503.xml', target: n.sip, timeoutMs: 8000 });
    assert.equal(refused.code, 0, explain(refused));
    assert.match(refused.messages, /SIP\/2.0 503[^\n]*\n(?:[^\n]*\n)*?Retry-After: *\d+/i);
    assert.equal(stopResolvedAt, 0, 'stop() waits for the drain deadline while a call is up');

    await stopped;
    const took = Date.now() - t0;
    assert.ok(took >= DRAIN_MS - 100 && took < DRAIN_MS + 3000, `stop() took ${took} ms`);
    const r = await longCall;
    assert.equal(r.code, 0, explain(r));
    assert.match(r.messages, /BYE sip:sipp@/);
    assert.equal(n.server.state, 'stopped');
    assert.ok(await tcpRefused(n.ports.tcp), 'SIP TCP port closed');
    assert.ok(await tcpRefused(Number(new URL(n.http).port)), 'HTTP port closed');
  });

  test('real process: SIGTERM during a call → BYE to the caller, exit code 0', async () => {
    const sipPort = await freeUdpPort();
    const httpPort = await freeTcpPort();
    const dir = mkdtempSync(join(tmpdir(), 'sb-proc-'));
    writeFileSync(join(dir, 'switchboard.yaml'), `shutdown:\n  drainTimeoutMs: ${DRAIN_MS}\n`);
    const proc = spawn(process.execPath, [join(ROOT, 'bin/switchboard.mjs'), 'serve'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env, SWITCHBOARD_CONFIG: join(dir, 'switchboard.yaml'), SWITCHBOARD_DATA_DIR: join(dir, 'data'),
        SWITCHBOARD_HTTP_PORT: String(httpPort), SWITCHBOARD_SIP_PORT: String(sipPort), SWITCHBOARD_SIP_WS_PORT: '0',
        SWITCHBOARD_BIND: '127.0.0.1', SWITCHBOARD_PUBLIC_HOST: '127.0.0.1', SWITCHBOARD_ADMIN_KEY: 'test-admin-key-0123456789',
        SWITCHBOARD_LOG_LEVEL: 'info',
      },
    });
    child = proc;
    let output = '';
    proc.stdout!.on('data', (d) => { if (output.length < 1e6) output += d; });
    proc.stderr!.on('data', (d) => { if (output.length < 1e6) output += d; });
    const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
    const killer = setTimeout(() => proc.kill('SIGKILL'), 25_000);
    try {
      const up = await waitFor(async () => (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status === 200, 15_000);
      assert.ok(up, `the node never became ready\n${output.slice(-3000)}`);
      const auth = { authorization: 'Bearer test-admin-key-0123456789' };
      const longCall = runSipp({ scenario: 'uac-long-call.xml', target: `127.0.0.1:${sipPort}`, timeoutMs: 25_000 });
      const inCall = await waitFor(async () => /^active_calls 1$/m.test(await (await fetch(`http://127.0.0.1:${httpPort}/metrics`, { headers: auth })).text()), 8000);
      assert.ok(inCall, `the call never became active\n${output.slice(-3000)}`);

      const t0 = Date.now();
      proc.kill('SIGTERM');
      const code = await exited;
      const took = Date.now() - t0;
      assert.equal(code, 0, output.slice(-3000));
      assert.ok(took >= DRAIN_MS - 100, `exited after ${took} ms, before the drain deadline`);
      const r = await longCall;
      assert.equal(r.code, 0, explain(r));
      assert.match(r.messages, /BYE sip:sipp@/);
    } finally {
      clearTimeout(killer);
    }
  });
});
