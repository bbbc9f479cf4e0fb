import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NonceCountCache } from './nonce-count-cache.ts';
import { NonceIssuer } from './nonce.ts';

describe('HMAC nonces', () => {
  it('verifies its own nonces with their issue time and refuses tampered or foreign ones', () => {
    const a = new NonceIssuer('k1', 'example.com');
    const n = a.issue(1_700_000_000_123);
    assert.equal(n.length, 40);
    assert.deepEqual(a.verify(n), { valid: true, issuedAt: 1_700_000_000_123 });
    assert.notEqual(a.issue(1_700_000_000_123), n, 'random part differs');
    const flipped = (n[0] === 'A' ? 'B' : 'A') + n.slice(1);
    assert.equal(a.verify(flipped).valid, false);
    assert.equal(new NonceIssuer('k2', 'example.com').verify(n).valid, false);
    assert.equal(new NonceIssuer('k1', 'other.org').verify(n).valid, false);
    assert.equal(a.verify('short').valid, false);
  });
});

describe('nonce-count cache', () => {
  it('accepts increasing counts only, per nonce', () => {
    const c = new NonceCountCache(10);
    assert.equal(c.advance('n1', 1, 100, 0), true);
    assert.equal(c.advance('n1', 1, 100, 0), false);
    assert.equal(c.advance('n1', 3, 100, 0), true);
    assert.equal(c.advance('n1', 2, 100, 0), false);
    assert.equal(c.advance('n2', 1, 100, 0), true);
  });

  it('is bounded (least recently used goes first) and forgets expired nonces', () => {
    const c = new NonceCountCache(2);
    c.advance('a', 1, 100, 0);
    c.advance('b', 1, 100, 0);
    c.advance('a', 2, 100, 0); // a is now the most recent
    c.advance('c', 1, 100, 0); // evicts b
    assert.equal(c.size, 2);
    assert.equal(c.advance('a', 2, 100, 0), false, 'a kept its count');
    c.purge(100);
    assert.equal(c.size, 0);
  });
});
