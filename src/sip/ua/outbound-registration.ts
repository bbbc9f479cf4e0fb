// Keeping a REGISTER binding alive at a carrier or PBX (RFC 3261 §10.2): register, refresh
// at about half the granted expiry (§10.2.4 asks for "before it expires"), retry failures with
// exponential backoff and jitter, answer digest challenges, and unregister (Expires: 0) on
// stop. One Call-ID for the life of the registration, CSeq increasing (§10.2.4).
import { EventEmitter } from 'node:events';
import type { TimerHandle } from '../../lib/index.ts';
import { DigestClient } from '../auth/index.ts';
import type { DigestCredentials } from '../auth/index.ts';
import type { SipResponse } from '../message/index.ts';
import type { Destination } from '../transaction/index.ts';
import { newCallId, newTag } from './ids.ts';
import type { UserAgent } from './user-agent.ts';

/**
 * ```
 *  idle ──start()──► registering ──2xx──► registered ──(half expiry)──► registering
 *                        │  ▲                  │
 *                 failure│  │backoff timer     │ stop()
 *                        ▼  │                  ▼
 *                       failed            unregistering ──any answer──► unregistered
 * ```
 */
export type RegistrationState = 'idle' | 'registering' | 'registered' | 'failed' | 'unregistering' | 'unregistered';

export interface OutboundRegistrationOptions {
  ua: UserAgent;
  /** Registrar Request-URI, e.g. `sip:sip.carrier.example`. */
  registrar: string;
  /** Address of record (To/From), e.g. `sip:+4930123@sip.carrier.example`. */
  aor: string;
  /** Where to send; default resolved from the registrar URI. */
  dest?: Destination;
  /** Requested expiry, seconds; default 3600. */
  expires?: number;
  credentials?: DigestCredentials;
  /** First retry delay after a failure, ms; default 5000. */
  retryMinMs?: number;
  /** Retry delay cap, ms; default 300000 (5 min). */
  retryMaxMs?: number;
  /** Random source for jitter; default Math.random. */
  random?: () => number;
  /** Extra headers for every REGISTER; default none. */
  headers?: Array<[string, string]>;
}

export interface OutboundRegistrationEvents {
  /** Bound; `expires` is what the registrar granted (seconds). */
  registered: [expires: number];
  /** A REGISTER failed; the next attempt is in `retryInMs`. */
  failed: [status: number, reason: string, retryInMs: number];
  unregistered: [];
}

export class OutboundRegistration extends EventEmitter<OutboundRegistrationEvents> {
  state: RegistrationState = 'idle';
  private readonly opts: OutboundRegistrationOptions;
  private readonly callId: string;
  private readonly fromTag = newTag();
  private readonly digest = new DigestClient();
  private cseq = 0;
  private timer: TimerHandle | undefined;
  private failures = 0;
  private inFlight: Promise<SipResponse> | undefined;

  constructor(opts: OutboundRegistrationOptions) {
    super();
    this.opts = opts;
    this.callId = newCallId();
  }

  start(): void {
    if (this.state !== 'idle' && this.state !== 'unregistered') return;
    void this.register();
  }

  /** Remove the binding (Expires: 0) and stop refreshing. Resolves when the registrar answered. */
  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    if (this.state === 'idle' || this.state === 'unregistered') return;
    const wasBound = this.state === 'registered' || this.state === 'registering';
    this.state = 'unregistering';
    await this.inFlight?.catch(() => undefined);
    if (wasBound) await this.send(0).catch(() => undefined);
    this.state = 'unregistered';
    this.emit('unregistered');
  }

  private send(expires: number): Promise<SipResponse> {
    const o = this.opts;
    const p = o.ua.request({
      method: 'REGISTER', uri: o.registrar, dest: o.dest, from: o.aor, to: o.aor,
      callId: this.callId, fromTag: this.fromTag, cseq: ++this.cseq,
      credentials: o.credentials, digest: this.digest,
      headers: [['expires', String(expires)], ...(o.headers ?? [])],
    }).then((res) => {
      // An auth retry used the next CSeq; keep ours above it.
      this.cseq = Math.max(this.cseq, res.cseq?.seq ?? 0);
      return res;
    });
    this.inFlight = p;
    return p;
  }

  private async register(): Promise<void> {
    this.state = 'registering';
    const asked = this.opts.expires ?? 3600;
    let res: SipResponse;
    try {
      res = await this.send(asked);
    } catch (err) {
      return this.fail(503, (err as Error).message);
    }
    if (this.state !== 'registering') return;
    if (res.status === 423) {
      // §10.2.8: Interval Too Brief — retry at once with the registrar's Min-Expires.
      const min = Number.parseInt(res.get('min-expires') ?? '', 10);
      if (Number.isFinite(min) && min > asked) {
        this.opts.expires = min;
        return this.register();
      }
    }
    if (res.status < 200 || res.status >= 300) return this.fail(res.status, res.reason);
    this.failures = 0;
    const granted = this.grantedExpiry(res, asked);
    this.state = 'registered';
    this.emit('registered', granted);
    this.schedule(Math.max(1, granted / 2) * 1000, () => void this.register());
  }

  /** The expiry the registrar gave our Contact (its `expires` param), else the Expires header. */
  private grantedExpiry(res: SipResponse, asked: number): number {
    const ours = this.opts.ua.contactFor(this.opts.dest ?? { protocol: 'UDP', address: '', port: 0 });
    const ourUri = ours.replace(/^<|>$/g, '');
    for (const c of res.contacts) {
      const e = c.params.get('expires');
      if (e && c.uri.raw === ourUri) return Number.parseInt(e, 10);
    }
    const first = res.contacts[0]?.params.get('expires');
    if (first) return Number.parseInt(first, 10);
    const header = Number.parseInt(res.get('expires') ?? '', 10);
    return Number.isFinite(header) ? header : asked;
  }

  /** Backoff: min·2^n capped at max, with ±20 % jitter so a fleet does not retry in step. */
  private fail(status: number, reason: string): void {
    if (this.state === 'unregistering' || this.state === 'unregistered') return;
    const min = this.opts.retryMinMs ?? 5000;
    const max = this.opts.retryMaxMs ?? 300_000;
    const base = Math.min(max, min * 2 ** this.failures);
    const jitter = 1 + ((this.opts.random ?? Math.random)() * 0.4 - 0.2);
    const delay = Math.round(Math.min(max, base * jitter));
    this.failures++;
    this.state = 'failed';
    this.emit('failed', status, reason, delay);
    this.schedule(delay, () => void this.register());
  }

  private schedule(ms: number, fn: () => void): void {
    this.timer?.cancel();
    this.timer = this.opts.ua.clock.setTimeout(fn, ms);
  }
}
