// Which source addresses are a trunk's (its `inboundSources` CIDRs): a call from one of them is
// trusted like a peer, without a digest challenge — carriers do not answer challenges. The
// trunk list is re-read at most every `ttlMs`, so a trunk added through the API takes effect
// within seconds without a query per INVITE.
import type { Clock } from '../lib/index.ts';
import { IpMatcher } from '../sip/index.ts';

export interface TrunkSourceList {
  list(): Promise<Array<{ inboundSources: string[] }>>;
}

export class TrunkSources {
  private matcher: IpMatcher | undefined;
  private loadedAt = -Infinity;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly trunks: TrunkSourceList,
    private readonly clock: Clock,
    /** How long a read of the trunk list is reused; default 5000 ms. */
    private readonly ttlMs = 5000,
  ) {}

  private refresh(): Promise<void> {
    this.loading ??= this.trunks.list().then((ts) => {
      this.matcher = new IpMatcher(ts.flatMap((t) => t.inboundSources));
      this.loadedAt = this.clock.now();
    }).finally(() => { this.loading = undefined; });
    return this.loading;
  }

  /** Whether `address` belongs to a trunk's allowed inbound sources. */
  async matches(address: string): Promise<boolean> {
    if (this.clock.now() - this.loadedAt > this.ttlMs) await this.refresh().catch(() => {});
    return this.matcher?.matches(address) ?? false;
  }

  /** Forget the cached list (after a trunk changed). */
  invalidate(): void {
    this.loadedAt = -Infinity;
  }
}
