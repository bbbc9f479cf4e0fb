// Keeps a REGISTER binding alive at the carrier for every trunk with `register: true`
// (RFC 3261 §10.2, through sip/ua OutboundRegistration: refresh at half the granted expiry,
// digest challenges answered, backoff with jitter on failure, Expires: 0 on stop).
//
// Which trunks register is the store's say: the set is reconciled at start and then every
// `syncMs`, so a trunk created, changed or deleted through the API, the CLI or the config
// file starts, restarts (new host, credentials …) or stops (unregisters) its registration
// within that interval — no restart, and no in-process hook a second writer could miss.
// Each registration's state is written to `trunk_registrations` (GET /v1/trunks/{id} shows
// it) and exported as the gauge `sip_trunk_registered{trunk}` (1 registered, 0 not).
//
// It must never block the node: every store write is fire-and-forget with its error logged.
import { Gauge, type Registry } from 'prom-client';
import type { Clock, Logger, TimerHandle } from '../lib/index.ts';
import { OutboundRegistration, type UserAgent } from '../sip/index.ts';
import type { Store, TrunkRecord, TrunkRegistrationRecord } from '../store/index.ts';

/** Gauge name: 1 per trunk whose carrier binding is up, 0 while registering or failed. */
export const TRUNK_REGISTERED_METRIC = 'sip_trunk_registered';

export interface TrunkRegistrationsOptions {
  ua: UserAgent;
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Registry for the gauge; default none (no metric). */
  registry?: Registry;
  /** How often the trunk list is re-read, ms; default 2000. */
  syncMs?: number;
  /** Requested binding lifetime, seconds; default 3600 (the carrier may grant less). */
  expires?: number;
  /** First retry after a failure, ms; default OutboundRegistration's (5000). */
  retryMinMs?: number;
  /** How long stop() waits for each un-REGISTER answer, ms; default 2000. */
  stopWaitMs?: number;
}

interface Running {
  reg: OutboundRegistration;
  /** What the registration was built from; a different key restarts it. */
  key: string;
  trunkName: string;
  status: TrunkRegistrationRecord;
}

export class TrunkRegistrations {
  private readonly running = new Map<string, Running>();
  private timer: TimerHandle | undefined;
  private syncing: Promise<void> | undefined;
  private closed = false;
  private readonly gauge: Gauge | undefined;

  constructor(private readonly opts: TrunkRegistrationsOptions) {
    const self = this;
    this.gauge = opts.registry
      ? new Gauge({
        name: TRUNK_REGISTERED_METRIC,
        help: 'Carrier registration of trunks with register: true (1 registered, 0 registering or failed).',
        labelNames: ['trunk'],
        registers: [opts.registry],
        collect() {
          this.reset();
          for (const r of self.running.values()) this.set({ trunk: r.trunkName }, r.status.state === 'registered' ? 1 : 0);
        },
      })
      : undefined;
  }

  /** Reads the trunks and starts what should register; then keeps in sync every syncMs. */
  async start(): Promise<void> {
    await this.sync();
    this.schedule();
  }

  /** The status of one running registration (tests, tools); the API reads the store. */
  status(trunkId: string): TrunkRegistrationRecord | undefined {
    return this.running.get(trunkId)?.status;
  }

  /** Re-reads the trunk list now (also what the timer does); concurrent calls share one pass. */
  sync(): Promise<void> {
    this.syncing ??= this.reconcile().catch((err: unknown) => {
      this.opts.logger.error({ err }, 'trunk registration sync failed');
    }).finally(() => { this.syncing = undefined; });
    return this.syncing;
  }

  /** Stops syncing and unregisters every trunk (bounded by stopWaitMs each, in parallel). */
  async close(): Promise<void> {
    this.closed = true;
    this.timer?.cancel();
    await this.syncing;
    await Promise.all([...this.running.keys()].map((id) => this.stopOne(id, false)));
    if (this.gauge) this.opts.registry?.removeSingleMetric(TRUNK_REGISTERED_METRIC);
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.opts.clock.setTimeout(() => {
      void this.sync().then(() => this.schedule());
    }, this.opts.syncMs ?? 2000);
  }

  private async reconcile(): Promise<void> {
    const wanted = new Map<string, TrunkRecord>();
    for (const t of await this.opts.store.tenancy.trunks.list()) {
      if (t.register && t.username && t.password) wanted.set(t.id, t);
    }
    if (this.closed) return;
    for (const id of [...this.running.keys()]) {
      const t = wanted.get(id);
      if (!t || keyOf(t) !== this.running.get(id)!.key) await this.stopOne(id, !t ? false : true);
    }
    for (const t of wanted.values()) if (!this.running.has(t.id)) this.startOne(t);
  }

  private startOne(t: TrunkRecord): void {
    const { ua, clock, logger } = this.opts;
    const transport = t.transport === 'udp' ? '' : `;transport=${t.transport}`;
    const reg = new OutboundRegistration({
      ua,
      registrar: `sip:${t.host}:${t.port}${transport}`,
      aor: `sip:${t.username}@${t.host}`,
      credentials: { username: t.username!, password: t.password! },
      ...(this.opts.expires !== undefined ? { expires: this.opts.expires } : {}),
      ...(this.opts.retryMinMs !== undefined ? { retryMinMs: this.opts.retryMinMs } : {}),
    });
    const running: Running = {
      reg, key: keyOf(t), trunkName: t.name,
      status: { trunkId: t.id, state: 'registering', lastStatus: null, lastError: null, registeredAt: null, expiresAt: null, updatedAt: clock.now() },
    };
    this.running.set(t.id, running);
    const write = (patch: Partial<TrunkRegistrationRecord>): void => {
      if (this.running.get(t.id) !== running) return;
      running.status = { ...running.status, ...patch, updatedAt: clock.now() };
      this.opts.store.tenancy.trunkRegistrations.put(running.status)
        .catch((err: unknown) => logger.warn({ err, trunk: t.name }, 'trunk registration status not stored'));
    };
    reg.on('registered', (expires) => {
      const now = clock.now();
      logger.info({ trunk: t.name, expires }, 'trunk registered with its carrier');
      write({ state: 'registered', lastStatus: null, lastError: null, registeredAt: now, expiresAt: now + expires * 1000 });
    });
    reg.on('failed', (status, reason, retryInMs) => {
      logger.warn({ trunk: t.name, status, reason, retryInMs }, 'trunk registration failed');
      // The old binding may still be up at the carrier until it expires; expiresAt says so.
      write({ state: 'failed', lastStatus: status, lastError: `${status} ${reason}` });
    });
    write({});
    reg.start();
  }

  /** Unregisters (bounded) and forgets the trunk; `restarting` keeps its status row for the next run. */
  private async stopOne(id: string, restarting: boolean): Promise<void> {
    const r = this.running.get(id);
    if (!r) return;
    this.running.delete(id);
    const wait = this.opts.stopWaitMs ?? 2000;
    await new Promise<void>((resolve) => {
      const t = this.opts.clock.setTimeout(resolve, wait);
      r.reg.stop().catch(() => undefined).finally(() => { t.cancel(); resolve(); });
    });
    if (!restarting) {
      await this.opts.store.tenancy.trunkRegistrations.delete(id)
        .catch((err: unknown) => this.opts.logger.warn({ err, trunkId: id }, 'trunk registration status not removed'));
    }
  }
}

/** The fields a registration is built from: a change in any of them re-registers. */
function keyOf(t: TrunkRecord): string {
  return JSON.stringify([t.host, t.port, t.transport, t.username, t.password]);
}
