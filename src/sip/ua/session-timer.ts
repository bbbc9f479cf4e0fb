// Session timers (RFC 4028): a keep-alive for calls, so that a call whose far end vanished
// without a BYE does not live (and bill) forever. The refresher re-sends a refresh at half
// the interval (§10); the other side sends BYE if no refresh came by the expiry (§10:
// interval minus min(32 s, interval/3)).
import type { Clock, TimerHandle } from '../../lib/index.ts';
import type { SipMessage } from '../message/index.ts';

export interface SessionTimerSettings {
  /** Offer/accept session timers at all; default true. */
  enabled: boolean;
  /** Session-Expires we ask for, seconds; default 1800 (RFC 4028 §4 recommends 1800). */
  expires: number;
  /** Smallest interval we accept (Min-SE), seconds; default 90 (the RFC minimum). */
  minSE: number;
}

export const DEFAULT_SESSION_TIMER: SessionTimerSettings = { enabled: true, expires: 1800, minSE: 90 };

/** Session-Expires: `1800;refresher=uac` → { interval, refresher }. */
export function parseSessionExpires(msg: SipMessage): { interval: number; refresher?: 'uac' | 'uas' } | undefined {
  const v = msg.get('session-expires');
  if (!v) return undefined;
  const [num, ...params] = v.split(';').map((s) => s.trim());
  const interval = Number.parseInt(num ?? '', 10);
  if (!Number.isFinite(interval) || interval <= 0) return undefined;
  let refresher: 'uac' | 'uas' | undefined;
  for (const p of params) {
    const [k, val] = p.split('=').map((s) => s.trim().toLowerCase());
    if (k === 'refresher' && (val === 'uac' || val === 'uas')) refresher = val;
  }
  return { interval, refresher };
}

/** Min-SE header value in seconds, if present. */
export function parseMinSE(msg: SipMessage): number | undefined {
  const v = msg.get('min-se');
  if (!v) return undefined;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : undefined;
}

export class SessionTimer {
  private timer: TimerHandle | undefined;
  interval = 0;
  weRefresh = false;

  constructor(
    private readonly clock: Clock,
    private readonly onRefresh: () => void,
    private readonly onExpire: () => void,
  ) {}

  /** (Re)start after a successful INVITE/UPDATE exchange that negotiated `interval` seconds. */
  start(interval: number, weRefresh: boolean): void {
    this.stop();
    this.interval = interval;
    this.weRefresh = weRefresh;
    const ms = interval * 1000;
    if (weRefresh) this.timer = this.clock.setTimeout(() => this.onRefresh(), ms / 2);
    else this.timer = this.clock.setTimeout(() => this.onExpire(), ms - Math.min(32_000, ms / 3));
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
