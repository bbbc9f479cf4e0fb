// The media engine's error codes on the join/bridge path never reach the wire as codes: core
// turns them into an operation result 500 / MEDIA_FAILED whose message ends with the engine's
// reason. docs/operations.md "Media failures" says, per code, whether and how an API user can
// meet it. This guard fails when a code is thrown in src/media but missing from that table, or
// the table names a code the engine no longer throws (a stale row).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
/** The codes raised when a leg is bridged or mixed (others, e.g. CLOSED, mean "you closed it"). */
const JOIN_PATH_CODES = ['CONFERENCE_CLOSED', 'CROSS_WORKER', 'RATE_MISMATCH'];

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

test('every join/bridge error code of the media engine has a row in docs/operations.md "Media failures", and every row is still thrown', () => {
  const thrown = new Set<string>();
  for (const f of sources(join(root, 'src/media'))) {
    for (const m of readFileSync(f, 'utf8').matchAll(/code: '([A-Z_]+)'/g)) thrown.add(m[1]!);
  }
  const doc = readFileSync(join(root, 'docs/operations.md'), 'utf8');
  const start = doc.indexOf('## Media failures');
  assert.ok(start >= 0, 'docs/operations.md has a "Media failures" section');
  const section = doc.slice(start, doc.indexOf('\n## ', start + 1) === -1 ? undefined : doc.indexOf('\n## ', start + 1));
  const rows = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]!);
  for (const code of JOIN_PATH_CODES) {
    assert.ok(thrown.has(code), `${code} is no longer thrown in src/media: drop its row and this entry`);
    assert.ok(rows.includes(code), `${code} has no row in docs/operations.md "Media failures"`);
  }
  for (const code of rows) assert.ok(thrown.has(code), `docs/operations.md names ${code}, which src/media no longer throws`);
});
