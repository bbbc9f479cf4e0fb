// The node's lifecycle: start order, readiness, graceful drain, stop order, start failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock, nullLogger } from '../lib/index.ts';
import { loadConfig, type Config } from './config.ts';
import { SwitchboardServer } from './server.ts';
import type { Service, ServiceFactory } from './service.ts';
import { handleShutdownSignals } from './signals.ts';

function testConfig(t: { after: (fn: () => void) => void }, env: Record<string, string> = {}): Config {
  const dir = mkdtempSync(join(tmpdir(), 'sb-server-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return loadConfig(
    { SWITCHBOARD_HTTP_PORT: '0', SWITCHBOARD_BIND: '127.0.0.1', SWITCHBOARD_DATA_DIR: join(dir, 'data'), ...env },
    { cwd: dir, detectPublicHost: () => '127.0.0.1' },
  );
}

/** A service that records its calls into a shared journal. */
function recorder(name: string, journal: string[], hooks: Partial<Service> = {}): ServiceFactory {
  return () => ({
    name,
    start: hooks.start ?? (async () => { journal.push(`${name}.start`); }),
    drain: hooks.drain ?? (async (deadline: number) => { journal.push(`${name}.drain@${deadline}`); }),
    stop: hooks.stop ?? (async () => { journal.push(`${name}.stop`); }),
  });
}

async function readyz(port: number): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: await res.json() };
}

test('starts services in order, is ready, generates and prints the admin key once', async (t) => {
  const config = testConfig(t);
  const journal: string[] = [];
  const printed: string[] = [];
  const clock = new FakeClock(1000);
  const server = await SwitchboardServer.start(config, {
    logger: nullLogger, clock, print: (l) => printed.push(l),
    services: [recorder('a', journal), recorder('b', journal)],
  });
  assert.equal(server.state, 'ready');
  assert.deepEqual(journal, ['a.start', 'b.start']);
  assert.equal(server.service('b')?.name, 'b');
  assert.equal(server.service('nope'), undefined);
  assert.deepEqual(await readyz(server.httpPort), { status: 200, body: { status: 'ready' } });

  assert.equal(printed.length, 1);
  assert.ok(printed[0].includes(server.adminKey));
  const file = join(config.dataDir, 'admin-key');
  assert.equal(readFileSync(file, 'utf8').trim(), server.adminKey);
  assert.equal(statSync(file).mode & 0o777, 0o600);

  await server.stop();
  assert.equal(server.state, 'stopped');
  // Deadline = clock.now() + drainTimeoutMs (30000 by default); stop in reverse order.
  assert.deepEqual(journal, ['a.start', 'b.start', 'a.drain@31000', 'b.drain@31000', 'b.stop', 'a.stop']);
  await assert.rejects(fetch(`http://127.0.0.1:${server.httpPort}/healthz`));

  const again = await SwitchboardServer.start(config, { logger: nullLogger, print: (l) => printed.push(l), services: [] });
  assert.equal(again.adminKey, server.adminKey, 'the stored key is reused');
  assert.equal(printed.length, 1, 'and not printed again');
  await again.stop();
});

test('while draining, /readyz answers 503 draining and HTTP stays up until services stopped', async (t) => {
  const config = testConfig(t);
  let releaseDrain!: () => void;
  const drained = new Promise<void>((r) => { releaseDrain = r; });
  let drainStarted!: () => void;
  const inDrain = new Promise<void>((r) => { drainStarted = r; });
  const journal: string[] = [];
  const server = await SwitchboardServer.start(config, {
    logger: nullLogger, print: () => {},
    services: [recorder('sip', journal, {
      drain: async () => { drainStarted(); await drained; },
      stop: async () => {
        // HTTP must still answer while services stop: it closes last.
        journal.push(`stop:${(await readyz(server.httpPort)).status}`);
      },
    })],
  });
  const stopping = server.stop('SIGTERM');
  await inDrain;
  assert.equal(server.state, 'draining');
  assert.deepEqual(await readyz(server.httpPort), { status: 503, body: { status: 'draining', reason: 'SIGTERM' } });
  const health = await fetch(`http://127.0.0.1:${server.httpPort}/healthz`);
  assert.equal(health.status, 200, 'liveness stays green while draining');
  releaseDrain();
  await stopping;
  assert.deepEqual(journal, ['sip.start', 'stop:503']);
  assert.equal(server.stop(), server.stop(), 'stop() is idempotent');
});

test('a service that never finishes draining is cut off after the deadline plus grace', async (t) => {
  const config = testConfig(t, {});
  config.shutdown.drainTimeoutMs = 5000;
  const clock = new FakeClock(0);
  const journal: string[] = [];
  const server = await SwitchboardServer.start(config, {
    logger: nullLogger, clock, print: () => {},
    services: [recorder('stuck', journal, { drain: () => new Promise<void>(() => {}) })],
  });
  let done = false;
  const stopping = server.stop().then(() => { done = true; });
  await new Promise((r) => setImmediate(r));
  clock.advance(6999);
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false, 'still waiting inside deadline + grace');
  clock.advance(1);
  await stopping;
  assert.deepEqual(journal, ['stuck.start', 'stuck.stop']);
});

test('a failing service start stops what already started and closes HTTP', async (t) => {
  const config = testConfig(t);
  const journal: string[] = [];
  await assert.rejects(
    SwitchboardServer.start(config, {
      logger: nullLogger, print: () => {}, clock: new FakeClock(0),
      services: [
        recorder('a', journal),
        recorder('b', journal, { start: async () => { throw new Error('EADDRINUSE 5060'); } }),
        recorder('c', journal),
      ],
    }),
    /EADDRINUSE 5060/,
  );
  assert.deepEqual(journal, ['a.start', 'a.drain@30000', 'b.drain@30000', 'b.stop', 'a.stop']);
  assert.ok(!journal.some((e) => e.startsWith('c.')), 'later services are never created');
});

test('a configured admin key is used as is and nothing is printed or stored', async (t) => {
  const key = 'configured-key-0123456789';
  const config = testConfig(t, { SWITCHBOARD_ADMIN_KEY: key });
  const printed: string[] = [];
  const server = await SwitchboardServer.start({ ...config, metrics: { public: false } }, {
    logger: nullLogger, print: (l) => printed.push(l), services: [],
  });
  assert.equal(server.adminKey, key);
  assert.equal(printed.length, 0);
  assert.throws(() => statSync(join(config.dataDir, 'admin-key')), /ENOENT/);
  const denied = await fetch(`http://127.0.0.1:${server.httpPort}/metrics`);
  assert.equal(denied.status, 401);
  const ok = await fetch(`http://127.0.0.1:${server.httpPort}/metrics`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /^sip_messages_total|^# HELP sip_dialogs/m);
  await server.stop();
});

test('signals: the first SIGTERM stops gracefully and exits 0; a second one exits 1 at once', async () => {
  const source = new EventEmitter();
  const exits: number[] = [];
  let release!: () => void;
  const server = { stop: () => new Promise<void>((r) => { release = r; }) };
  const remove = handleShutdownSignals(server, { logger: nullLogger, exit: (c) => exits.push(c), source });
  source.emit('SIGTERM', 'SIGTERM');
  assert.deepEqual(exits, []);
  source.emit('SIGINT', 'SIGINT');
  assert.deepEqual(exits, [1]);
  release();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(exits, [1, 0]);
  remove();
  assert.equal(source.listenerCount('SIGTERM'), 0);
});
