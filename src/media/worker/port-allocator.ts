/**
 * Hands out RTP ports from the configured range to endpoints of all workers: even ports for an
 * RTP/RTCP pair (RFC 3550 §11: RTP even, RTCP the next odd one), so one pool serves pairs and
 * rtcp-mux alike. A port that failed to bind (taken by another process) is skipped and the
 * next one tried by the engine; released ports go to the back of the line so a late packet of
 * an ended call does not reach the next call at once.
 */
export class PortAllocator {
  private readonly free: number[] = [];
  private head = 0;
  private readonly leased = new Set<number>();

  /** min and max inclusive; min is rounded up to even and the pair's odd port must fit under max. */
  constructor(readonly min: number, readonly max: number) {
    for (let p = min + (min % 2); p + 1 <= max; p += 2) this.free.push(p);
  }

  get capacity(): number {
    return this.free.length - this.head + this.leased.size;
  }

  get inUse(): number {
    return this.leased.size;
  }

  /** An even port; undefined when the range is exhausted. */
  lease(): number | undefined {
    if (this.head >= this.free.length) return undefined;
    const p = this.free[this.head++];
    if (this.head > 1024 && this.head * 2 > this.free.length) {
      this.free.splice(0, this.head);
      this.head = 0;
    }
    this.leased.add(p);
    return p;
  }

  release(port: number): void {
    if (!this.leased.delete(port)) return;
    this.free.push(port);
  }
}
