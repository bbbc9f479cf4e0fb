/**
 * A Map-backed LRU bounded by a byte budget (decoded prompts: 2 bytes per sample). A single
 * entry larger than the whole budget is not kept at all rather than flushing everything else.
 */
export class ByteLru<V> {
  private readonly map = new Map<string, { value: V; bytes: number }>();
  private used = 0;

  /** @param maxBytes budget; entries are evicted oldest-used first past it. */
  constructor(readonly maxBytes: number) {}

  get bytes(): number { return this.used; }
  get size(): number { return this.map.size; }

  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    this.map.delete(key); // re-insert: Map order is the recency order
    this.map.set(key, e);
    return e.value;
  }

  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    if (bytes > this.maxBytes) return;
    this.map.set(key, { value, bytes });
    this.used += bytes;
    for (const [k, e] of this.map) {
      if (this.used <= this.maxBytes) break;
      this.map.delete(k);
      this.used -= e.bytes;
    }
  }

  delete(key: string): void {
    const e = this.map.get(key);
    if (!e) return;
    this.map.delete(key);
    this.used -= e.bytes;
  }

  /** Drop every entry whose key starts with `prefix`. */
  deletePrefix(prefix: string): void {
    for (const k of [...this.map.keys()]) if (k.startsWith(prefix)) this.delete(k);
  }

  clear(): void {
    this.map.clear();
    this.used = 0;
  }
}
