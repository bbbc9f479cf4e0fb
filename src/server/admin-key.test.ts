// The admin key: configured wins; otherwise generated once (0600, printed once), then read back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureAdminKey } from './admin-key.ts';

function dir(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'sb-key-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('generated once with mode 0600 and printed once; later reads are silent', (t) => {
  const dataDir = dir(t);
  const printed: string[] = [];
  const first = ensureAdminKey({ dataDir, print: (l) => printed.push(l) });
  assert.equal(first.source, 'generated');
  assert.match(first.key, /^sbk_[A-Za-z0-9_-]{43}$/);
  assert.equal(statSync(join(dataDir, 'admin-key')).mode & 0o777, 0o600);
  const second = ensureAdminKey({ dataDir, print: (l) => printed.push(l) });
  assert.deepEqual(second, { key: first.key, source: 'stored', file: join(dataDir, 'admin-key') });
  assert.equal(printed.length, 1);
  assert.ok(printed[0].endsWith(first.key));
});

test('a configured key touches nothing on disk', (t) => {
  const dataDir = dir(t);
  const r = ensureAdminKey({ dataDir, configured: 'x'.repeat(20), print: () => assert.fail('printed') });
  assert.deepEqual(r, { key: 'x'.repeat(20), source: 'config' });
  assert.equal(existsSync(join(dataDir, 'admin-key')), false);
});

test('a stored key file with loose permissions is tightened; an empty one is an error', (t) => {
  const dataDir = dir(t);
  const file = join(dataDir, 'admin-key');
  writeFileSync(file, 'k'.repeat(30) + '\n');
  chmodSync(file, 0o644);
  assert.equal(ensureAdminKey({ dataDir }).key, 'k'.repeat(30));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  writeFileSync(file, '\n');
  assert.throws(() => ensureAdminKey({ dataDir }), /empty or too short/);
});
