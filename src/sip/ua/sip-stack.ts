// The SIP stack assembled: TransportLayer → TransactionLayer → UserAgent, wired together and
// closed in the reverse order. This is what the server composes; tests and tools can use it
// to get a working UA on real sockets in one call.
import { nullLogger, systemClock } from '../../lib/index.ts';
import type { Clock, Logger } from '../../lib/index.ts';
import { TransactionLayer } from '../transaction/index.ts';
import type { TimerSettings } from '../transaction/index.ts';
import { TransportLayer } from '../transport/index.ts';
import type { TransportLayerOptions } from '../transport/index.ts';
import { OutboundRegistration } from './outbound-registration.ts';
import type { OutboundRegistrationOptions } from './outbound-registration.ts';
import { UserAgent } from './user-agent.ts';
import type { UserAgentOptions } from './user-agent.ts';

export interface SipStackOptions {
  /** Listeners and limits; default TransportLayer's defaults (UDP+TCP 5060, WS 5066). */
  transport?: Omit<TransportLayerOptions, 'clock' | 'logger'>;
  /** T1/T2/T4; default RFC 3261 Table 4. */
  timers?: Partial<TimerSettings>;
  /** Default systemClock. */
  clock?: Clock;
  /** Default nullLogger. */
  logger?: Logger;
  /** Everything else the UserAgent takes; default its defaults. */
  ua?: Omit<UserAgentOptions, 'transactions' | 'transport' | 'clock' | 'logger' | 'timers'>;
}

export interface SipStackStats {
  dialogs: number;
  sessions: number;
  transactions: Record<string, number>;
  connections: number;
  /** Outbound registrations made through register(), by state. */
  registrations: { registered: number; total: number };
}

export class SipStack {
  private closing: Promise<void> | undefined;
  private readonly registrations = new Set<OutboundRegistration>();

  private constructor(
    readonly transport: TransportLayer,
    readonly transactions: TransactionLayer,
    readonly ua: UserAgent,
    private readonly logger: Logger,
  ) {}

  static async start(opts: SipStackOptions = {}): Promise<SipStack> {
    const clock = opts.clock ?? systemClock;
    const logger = opts.logger ?? nullLogger;
    const transport = await TransportLayer.start({ ...opts.transport, clock, logger });
    const transactions = new TransactionLayer({ sender: transport, clock, logger, timers: opts.timers });
    transport.on('message', (msg, source) => {
      // Only requests and responses reach here; the transport already answered what it could not parse.
      transactions.receive(msg as Parameters<TransactionLayer['receive']>[0], source);
    });
    const ua = new UserAgent({ ...opts.ua, transactions, transport, clock, logger, timers: opts.timers });
    return new SipStack(transport, transactions, ua, logger);
  }

  /** Start keeping a binding at a carrier; stopped (unregistered) by close(). */
  register(opts: Omit<OutboundRegistrationOptions, 'ua'>): OutboundRegistration {
    const reg = new OutboundRegistration({ ...opts, ua: this.ua });
    this.registrations.add(reg);
    reg.once('unregistered', () => this.registrations.delete(reg));
    reg.start();
    return reg;
  }

  stats(): SipStackStats {
    let registered = 0;
    for (const r of this.registrations) if (r.state === 'registered') registered++;
    return {
      ...this.ua.stats(),
      registrations: { registered, total: this.registrations.size },
      transactions: this.transactions.counts(),
      connections: this.transport.connectionCount(),
    };
  }

  /** Hang up every session, then stop transactions and close the sockets. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.registrations].map((r) => r.stop().catch(() => undefined)));
      await this.ua.close().catch((err: unknown) => this.logger.warn({ err }, 'UA close failed'));
      this.transactions.close();
      await this.transport.close();
    })();
    return this.closing;
  }
}
