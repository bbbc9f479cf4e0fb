// The pino-backed logger writes JSON lines at the configured level and satisfies lib's Logger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { Logger } from '../lib/index.ts';
import { createLogger } from './logger.ts';

function sink(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { chunks.push(String(chunk)); cb(); } });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

test('logs JSON lines at or above the configured level, with child bindings', async () => {
  const s = sink();
  const log: Logger = createLogger('info', { destination: s.stream });
  log.debug('hidden');
  log.info({ port: 5060 }, 'listening');
  log.child({ component: 'sip' }).warn('flood');
  log.error({ err: new Error('boom') }, 'failed');
  await new Promise((r) => setImmediate(r));
  const lines = s.lines();
  assert.equal(lines.length, 3);
  assert.equal(lines[0].level, 'info');
  assert.equal(lines[0].msg, 'listening');
  assert.equal(lines[0].port, 5060);
  assert.equal(lines[0].name, 'switchboard');
  assert.match(String(lines[0].time), /^\d{4}-\d\d-\d\dT/);
  assert.equal(lines[1].component, 'sip');
  assert.equal(lines[1].level, 'warn');
  assert.equal((lines[2].err as { message: string }).message, 'boom');
});

test('level silent writes nothing', async () => {
  const s = sink();
  const log = createLogger('silent', { destination: s.stream });
  log.error('nothing');
  await new Promise((r) => setImmediate(r));
  assert.equal(s.lines().length, 0);
});
