// Hands out even RTP ports from the configured range (RFC 3550 §11: RTP on an even port,
// RTCP on the next odd one). Ports are leased and returned; the pool never hands out a
// port that is still leased.

export class RtpPortPool {
  private next: number;
  private readonly leased = new Set<number>();

  /** min and max inclusive; min is rounded up to even. */
  constructor(private readonly min: number, private readonly max: number) {
    this.min = min + (min % 2);
    this.next = this.min;
  }

  /** An even port not leased now; throws when the range is exhausted. */
  lease(): number {
    const slots = Math.floor((this.max - this.min) / 2) + 1;
    for (let i = 0; i < slots; i++) {
      const p = this.next;
      this.next = p + 2 > this.max - 1 ? this.min : p + 2;
      if (!this.leased.has(p)) {
        this.leased.add(p);
        return p;
      }
    }
    throw new Error(`RTP port range ${this.min}-${this.max} exhausted`);
  }

  release(port: number): void {
    this.leased.delete(port);
  }

  get inUse(): number {
    return this.leased.size;
  }
}
