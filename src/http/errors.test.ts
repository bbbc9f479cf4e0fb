// The catalog and docs/errors.md agree, and codes map from bare statuses sensibly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CATALOG, codeForStatus, errorBody, HttpError, type ErrorCode } from './errors.ts';

test('every catalog code has a row in docs/errors.md with its status, and no row is stale', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map<string, number>();
  for (const m of doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)) rows.set(m[1], Number(m[2]));
  for (const [code, { status }] of Object.entries(ERROR_CATALOG)) {
    assert.equal(rows.get(code), status, `docs/errors.md row for ${code}`);
  }
  assert.deepEqual([...rows.keys()].sort(), Object.keys(ERROR_CATALOG).sort());
});

test('HttpError carries its catalog status; bare statuses map to codes', () => {
  const e = new HttpError('NOT_FOUND');
  assert.equal(e.statusCode, 404);
  assert.equal(e.message, ERROR_CATALOG.NOT_FOUND.message);
  assert.deepEqual(errorBody('CONFLICT', 'x', [1]), { error: { code: 'CONFLICT', message: 'x', details: [1] } });
  const cases: [number, ErrorCode][] = [[400, 'BAD_REQUEST'], [413, 'PAYLOAD_TOO_LARGE'], [418, 'BAD_REQUEST'], [502, 'INTERNAL'], [503, 'NOT_READY']];
  for (const [status, code] of cases) assert.equal(codeForStatus(status), code);
});
