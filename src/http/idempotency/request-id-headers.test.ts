// Header parsing for request idempotency: IMF-fixdate strictness (RFC 7231 §7.1.1.1), GUID
// shape, both Repeatability headers together, Idempotency-Key bounds and SF-string quoting.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_IDEMPOTENCY_KEY_LENGTH, parseImfFixdate, readRequestIdHeaders } from './request-id-headers.ts';

test('IMF-fixdate: the RFC 7231 example parses; other date forms and impossible dates do not', () => {
  assert.equal(parseImfFixdate('Sun, 06 Nov 1994 08:49:37 GMT'), Date.UTC(1994, 10, 6, 8, 49, 37));
  for (const bad of [
    'Sunday, 06-Nov-94 08:49:37 GMT', // RFC 850 (obsolete)
    'Sun Nov  6 08:49:37 1994', // asctime (obsolete)
    '1994-11-06T08:49:37Z',
    'Mon, 06 Nov 1994 08:49:37 GMT', // wrong weekday
    'Thu, 31 Feb 2024 08:49:37 GMT', // no such day
    'Sun, 06 Nov 1994 08:49:37 UTC',
    'Sun, 6 Nov 1994 08:49:37 GMT',
  ]) {
    assert.equal(parseImfFixdate(bad), undefined, bad);
  }
});

test('Repeatability headers: both required, GUID lower-cased, duplicates refused', () => {
  const sent = 'Sun, 06 Nov 1994 08:49:37 GMT';
  const ok = readRequestIdHeaders({ 'repeatability-request-id': 'ABCDEF01-2345-4678-89AB-CDEF01234567', 'repeatability-first-sent': sent });
  assert.deepEqual(ok, {
    kind: 'repeatability', requestId: 'abcdef01-2345-4678-89ab-cdef01234567', firstSent: Date.UTC(1994, 10, 6, 8, 49, 37), firstSentRaw: sent,
  });
  const invalid = (h: Record<string, string | string[]>) => readRequestIdHeaders(h).kind === 'invalid';
  assert.ok(invalid({ 'repeatability-request-id': 'abcdef01-2345-4678-89ab-cdef01234567' }));
  assert.ok(invalid({ 'repeatability-first-sent': sent }));
  assert.ok(invalid({ 'repeatability-request-id': '{abcdef01-2345-4678-89ab-cdef01234567}', 'repeatability-first-sent': sent }));
  assert.ok(invalid({ 'repeatability-request-id': ['abcdef01-2345-4678-89ab-cdef01234567', 'abcdef01-2345-4678-89ab-cdef01234568'], 'repeatability-first-sent': sent }));
  assert.deepEqual(readRequestIdHeaders({}), { kind: 'none' });
});

test('Idempotency-Key: 1–255 printable characters, bare or quoted', () => {
  assert.deepEqual(readRequestIdHeaders({ 'idempotency-key': 'abc' }), { kind: 'idempotency-key', key: 'abc' });
  assert.deepEqual(readRequestIdHeaders({ 'idempotency-key': '"abc"' }), { kind: 'idempotency-key', key: 'abc' });
  assert.equal(readRequestIdHeaders({ 'idempotency-key': 'k'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH) }).kind, 'idempotency-key');
  assert.equal(readRequestIdHeaders({ 'idempotency-key': 'k'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH + 1) }).kind, 'invalid');
  assert.equal(readRequestIdHeaders({ 'idempotency-key': 'café' }).kind, 'invalid');
  assert.equal(readRequestIdHeaders({ 'idempotency-key': '' }).kind, 'invalid');
});
