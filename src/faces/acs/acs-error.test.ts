import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CallError } from '../../core/index.ts';
import { AcsError, fromCallError } from './acs-error.ts';

test('fromCallError: call limits are 429 TooManyRequests, not 500', () => {
  for (const code of ['CALL_LIMIT_EXCEEDED', 'RATE_LIMITED'] as const) {
    const e = fromCallError(new CallError(code, 'limit'));
    assert.ok(e instanceof AcsError);
    assert.equal(e.status, 429);
    assert.equal(e.code, 'TooManyRequests');
  }
  const nf = fromCallError(new CallError('CALL_NOT_FOUND', 'x'));
  assert.ok(nf instanceof AcsError && nf.status === 404);
  const other = new Error('x');
  assert.equal(fromCallError(other), other);
});
