// Replay protection for Digest: the highest nonce-count seen per nonce (RFC 7616 §3.4,
// "nc" MUST increase; §5.4 replay attacks). Bounded: at most `maxEntries` nonces, least
// recently used evicted first, and entries die with their nonce (expiresAt). Only nonces that
// came back with valid credentials are entered, so an unauthenticated flood of challenges
// cannot evict anything. A nonce unknown here (first use, or evicted, or issued before a
// restart) is adopted with its first count: that is the documented replay window.
//
// A Map keeps insertion order; deleting and re-inserting on use makes it an LRU in O(1).

export class NonceCountCache {
  private readonly entries = new Map<string, { nc: number; expiresAt: number }>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Records nc for the nonce if it is higher than every count seen before; a nonce seen for the
   * first time is adopted with this count. Returns false for a replay (nc not increasing).
   */
  advance(nonce: string, nc: number, expiresAt: number, now: number): boolean {
    const e = this.entries.get(nonce);
    if (e && e.expiresAt > now) {
      if (nc <= e.nc) return false;
      this.entries.delete(nonce);
    }
    this.entries.set(nonce, { nc, expiresAt });
    this.evict();
    return true;
  }

  /** Drop expired entries (the LRU bound alone would keep them until pushed out). */
  purge(now: number): void {
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
  }

  private evict(): void {
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
