// Flood protection for the SIP listeners: a per-source-IP token bucket checked BEFORE any
// parsing, temporary bans for sources that exceed it, silent dropping of known SIP scanners
// (after parsing, by User-Agent), and per-source connection counting for stream transports.
//
// It must never let one flooding source slow down the others, so the per-packet check is
// O(1): one Map lookup for a ban, one for the bucket, a few arithmetic operations, and no
// allocation except the first time a source IP is seen. Tracked sources are capped; the
// oldest is forgotten first, so a spoofed-address flood cannot grow memory without bound.
import type { Clock, Logger } from '../../lib/index.ts';
import { IpMatcher } from './ip-match.ts';

export interface FloodOptions {
  /** Sustained messages per second allowed from one source IP; default 200. */
  ratePerSecond: number;
  /** Bucket size: messages one source may send in a burst above the rate; default 400. */
  burst: number;
  /** How long a source that exceeded its bucket is banned; default 60000 ms. */
  banMs: number;
  /** Source IPs and CIDR blocks exempt from rate limits, bans and connection limits; default [] (none). */
  exempt: string[];
  /** User-Agent substrings (case-insensitive) of SIP scanners whose requests are dropped; default SCANNER_USER_AGENTS. */
  scannerUserAgents: string[];
  /** Also ban a source once it is seen scanning (its later packets dropped before parsing); default true. */
  banScanners: boolean;
  /** Source IPs whose buckets are tracked at once; the oldest is forgotten beyond this; default 100000. */
  maxTrackedSources: number;
  /** Turn rate limiting and bans off altogether (scanner dropping stays); default true (enabled). */
  enabled: boolean;
}

/** User agents of well-known SIP scanning tools (SIPVicious, sipcli, SIPScan …). */
export const SCANNER_USER_AGENTS: readonly string[] = [
  'friendly-scanner', 'sipvicious', 'sipcli', 'vaxsipuseragent', 'sip-scan', 'iwar', 'sipscan',
  'pplsip', 'sundayddr', 'sipsak', 'smap', 'sip-vicious', 'voip-scanner', 'sipptk', 'siparmyknife',
];

export const DEFAULT_FLOOD: FloodOptions = {
  ratePerSecond: 200,
  burst: 400,
  banMs: 60_000,
  exempt: [],
  scannerUserAgents: [...SCANNER_USER_AGENTS],
  banScanners: true,
  maxTrackedSources: 100_000,
  enabled: true,
};

/** One source IP's token bucket; mutated in place so the hot path allocates nothing. */
interface Bucket {
  tokens: number;
  /** Clock time tokens were last refilled. */
  at: number;
  exempt: boolean;
  connections: number;
}

/** Why a packet was refused, for counting. */
export type FloodVerdict = 'ok' | 'banned' | 'rate';

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class FloodGuard {
  readonly options: FloodOptions;
  private readonly exempt: IpMatcher;
  private readonly scannerRe: RegExp | undefined;
  private readonly buckets = new Map<string, Bucket>();
  /** Banned IP → clock time the ban ends. */
  private readonly bans = new Map<string, number>();
  /** Called when a ban starts (the transport layer re-emits it as 'ban'). */
  onBan: (address: string, untilMs: number, why: string) => void = () => {};

  constructor(
    opts: Partial<FloodOptions> = {},
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.options = { ...DEFAULT_FLOOD, ...opts };
    this.exempt = new IpMatcher(this.options.exempt);
    const uas = this.options.scannerUserAgents.filter(Boolean);
    this.scannerRe = uas.length ? new RegExp(uas.map(escapeRe).join('|'), 'i') : undefined;
  }

  /**
   * The per-message check, before parsing: may a message from `ip` be processed?
   * Takes one token from the source's bucket; a source that runs dry is banned.
   */
  admit(ip: string): FloodVerdict {
    if (!this.options.enabled) return 'ok';
    if (this.bans.size !== 0 && this.isBanned(ip)) return 'banned';
    const b = this.bucket(ip);
    if (b.exempt) return 'ok';
    const now = this.clock.now();
    const o = this.options;
    if (now > b.at) {
      b.tokens = Math.min(o.burst, b.tokens + ((now - b.at) * o.ratePerSecond) / 1000);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 'ok';
    }
    this.ban(ip, `more than ${o.ratePerSecond}/s (burst ${o.burst})`);
    return 'rate';
  }

  /** Whether `ip` is banned now; an expired ban is lifted here. */
  isBanned(ip: string): boolean {
    const until = this.bans.get(ip);
    if (until === undefined) return false;
    if (this.clock.now() < until) return true;
    this.bans.delete(ip);
    this.logger.info({ address: ip }, 'sip flood ban lifted');
    return false;
  }

  /** Ban a source now (not if it is exempt). */
  ban(ip: string, why: string): void {
    if (!this.options.enabled || this.bucket(ip).exempt) return;
    const until = this.clock.now() + this.options.banMs;
    this.bans.delete(ip);
    this.bans.set(ip, until);
    // Bans are few, but bound them like buckets: forget the oldest first.
    if (this.bans.size > this.options.maxTrackedSources) {
      const first = this.bans.keys().next().value;
      if (first !== undefined) this.bans.delete(first);
    }
    this.logger.warn({ address: ip, untilMs: until, why }, 'sip flood: source banned');
    this.onBan(ip, until, why);
  }

  /** Whether this User-Agent value belongs to a known scanner. */
  isScanner(userAgent: string | undefined): boolean {
    return userAgent !== undefined && this.scannerRe !== undefined && this.scannerRe.test(userAgent);
  }

  /** A scanner was seen from `ip`: ban it if configured to. */
  scannerSeen(ip: string, userAgent: string): void {
    this.logger.info({ address: ip, userAgent }, 'sip scanner dropped');
    if (this.options.banScanners) this.ban(ip, `scanner user agent: ${userAgent}`);
  }

  isExempt(ip: string): boolean {
    return this.bucket(ip).exempt;
  }

  /**
   * A stream connection from `ip` is being accepted: count it, or refuse it (returns false)
   * when the source is banned or already holds `limit` connections.
   */
  openConnection(ip: string, limit: number): boolean {
    if (this.options.enabled && this.bans.size !== 0 && this.isBanned(ip)) return false;
    const b = this.bucket(ip);
    if (!b.exempt && b.connections >= limit) return false;
    b.connections++;
    return true;
  }

  closeConnection(ip: string): void {
    const b = this.buckets.get(ip);
    if (b && b.connections > 0) b.connections--;
  }

  connectionsFrom(ip: string): number {
    return this.buckets.get(ip)?.connections ?? 0;
  }

  /** Bans in force (for diagnostics and tests). */
  activeBans(): Map<string, number> {
    const now = this.clock.now();
    for (const [ip, until] of this.bans) if (until <= now) this.bans.delete(ip);
    return new Map(this.bans);
  }

  private bucket(ip: string): Bucket {
    let b = this.buckets.get(ip);
    if (b === undefined) {
      b = { tokens: this.options.burst, at: this.clock.now(), exempt: this.exempt.matches(ip), connections: 0 };
      this.buckets.set(ip, b);
      if (this.buckets.size > this.options.maxTrackedSources) this.evictOne();
    }
    return b;
  }

  /** Forget the oldest-tracked source that holds no connection (its counts must stay exact). */
  private evictOne(): void {
    let n = 0;
    for (const [ip, b] of this.buckets) {
      if (b.connections === 0) {
        this.buckets.delete(ip);
        return;
      }
      if (++n > 64) return; // bounded scan; the table may exceed the cap by a little
    }
  }
}
