// The composition root of one Switchboard node: data directory, admin key, logger, metrics,
// the HTTP app, and the services (SIP first). It owns the order things start and stop in,
// so nothing half-started or half-stopped is left behind.
//
// Lifecycle (transitions only in setState):
//
//   starting ──all services started──► ready ──stop()──► draining ──► stopping ──► stopped
//      │                                                                 ▲
//      └──────── a service failed to start: stop what started ───────────┘
//
//   /readyz: starting → 503 "starting"; ready → 200; draining, stopping → 503 "draining".
//   HTTP listens from the first moment (probes must answer while starting) and closes last.
import { mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Tenancy } from '../core/index.ts';
import { buildHttpApp } from '../http/index.ts';
import { systemClock, type Clock, type Logger } from '../lib/index.ts';
import { openDatabase, type Store } from '../store/index.ts';
import { ensureAdminKey } from './admin-key.ts';
import type { Config } from './config.ts';
import { createLogger } from './logger.ts';
import { createMetrics, type SwitchboardMetrics } from './metrics.ts';
import type { Service, ServiceContext, ServiceFactory } from './service.ts';
import { createSipService } from './sip-service.ts';
import { mountNativeApi, startTenancy } from './native-api-wiring.ts';
import { mountAcsFace } from './acs-wiring.ts';
import { VERSION } from './version.ts';
import { createEventsService } from './events-service.ts';

export type ServerState = 'starting' | 'ready' | 'draining' | 'stopping' | 'stopped';

/** The services every node runs, in start order. */
export const DEFAULT_SERVICES: readonly ServiceFactory[] = [
  createSipService,
  createEventsService,
];

/** Extra time a service gets past the drain deadline before shutdown moves on without it. */
const DRAIN_GRACE_MS = 2000;

export interface StartOptions {
  /** Services to run, in start order; default DEFAULT_SERVICES. */
  services?: readonly ServiceFactory[];
  /** Logger; default a pino logger at config.log.level on stdout. */
  logger?: Logger;
  /** Time source for drain deadlines; default the system clock. */
  clock?: Clock;
  /** Prints the one-time admin key announcement; default stdout. */
  print?: (line: string) => void;
}

export class SwitchboardServer {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: SwitchboardMetrics;
  readonly adminKey: string;
  readonly http: FastifyInstance;
  private readonly clock: Clock;
  private readonly services: Service[] = [];
  private store: Store | undefined;
  private tenancy: Tenancy | undefined;
  private stateValue: ServerState = 'starting';
  private listenedPort = 0;
  private stopReason?: string;
  private stopping?: Promise<void>;

  private constructor(config: Config, logger: Logger, clock: Clock, adminKey: string) {
    this.config = config;
    this.logger = logger;
    this.clock = clock;
    this.adminKey = adminKey;
    this.metrics = createMetrics();
    this.http = buildHttpApp({
      logger: logger.child({ component: 'http' }),
      metricsRegistry: this.metrics.registry,
      metricsPublic: config.metrics.public,
      adminKey,
      readiness: () => this.readiness(),
      openapi: { title: 'Switchboard API', version: VERSION },
      ...(config.http.tls ? { https: { cert: readFileSync(config.http.tls.cert), key: readFileSync(config.http.tls.key) } } : {}),
    });
    mountNativeApi(this.http, adminKey, () => this.tenancy);
    mountAcsFace(this.http, () => this.tenancy, logger.child({ face: 'acs' }), clock, config.dataDir);
  }

  /** Create everything, listen, start the services; resolves once the node is ready. */
  static async start(config: Config, opts: StartOptions = {}): Promise<SwitchboardServer> {
    const logger: Logger = opts.logger ?? createLogger(config.log.level);
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const admin = ensureAdminKey({ dataDir: config.dataDir, configured: config.adminKey, print: opts.print });
    if (admin.source === 'generated') logger.info({ file: admin.file }, 'generated a new admin API key (printed once above)');

    const server = new SwitchboardServer(config, logger, opts.clock ?? systemClock, admin.key);
    try {
      await server.http.listen({ host: config.bind, port: config.http.port });
      server.listenedPort = (server.http.server.address() as AddressInfo).port;
      logger.info({ address: config.bind, port: server.httpPort, https: config.http.tls !== undefined }, 'http listening');
      server.store = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, logger: logger.child({ component: 'store' }) });
      await server.store.migrate();
      logger.info({ dialect: server.store.dialect }, 'store ready');
      server.tenancy = await startTenancy(server.store, config, logger, server.clock);
      const ctx: ServiceContext = { config, logger, metrics: server.metrics, clock: server.clock, adminKey: admin.key, store: server.store, http: server.http };
      for (const factory of opts.services ?? DEFAULT_SERVICES) {
        const service = await factory(ctx);
        // Registered before start() so a half-started service is still stopped on failure.
        server.services.push(service);
        await service.start();
        logger.info({ service: service.name }, 'service started');
      }
    } catch (err) {
      logger.error({ err }, 'start failed; stopping what was started');
      await server.stop('start failed');
      throw err;
    }
    server.setState('ready');
    logger.info({ publicHost: config.publicHost, dataDir: config.dataDir }, 'switchboard ready');
    return server;
  }

  /** A running service by name (e.g. tests read the SIP service's actual ports). */
  service<T extends Service = Service>(name: string): T | undefined {
    return this.services.find((s) => s.name === name) as T | undefined;
  }

  get state(): ServerState {
    return this.stateValue;
  }

  /** The port HTTP listens (or listened) on, with port 0 resolved; 0 before listening. */
  get httpPort(): number {
    return this.listenedPort;
  }

  /**
   * Graceful shutdown: readiness goes to draining, every service drains until
   * now + shutdown.drainTimeoutMs, services stop in reverse order, HTTP closes last.
   * Safe to call more than once; later calls wait for the first.
   */
  stop(reason = 'stop requested'): Promise<void> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  private readiness(): { ready: boolean; status?: 'starting' | 'draining'; reason?: string } {
    switch (this.stateValue) {
      case 'ready': return { ready: true };
      case 'starting': return { ready: false, status: 'starting' };
      default: return { ready: false, status: 'draining', reason: this.stopReason };
    }
  }

  private setState(next: ServerState): void {
    this.logger.debug({ from: this.stateValue, to: next }, 'server state');
    this.stateValue = next;
  }

  private async shutdown(reason: string): Promise<void> {
    this.stopReason = reason;
    this.setState('draining');
    const deadline = this.clock.now() + this.config.shutdown.drainTimeoutMs;
    this.logger.info({ reason, drainTimeoutMs: this.config.shutdown.drainTimeoutMs }, 'draining');
    await Promise.all(this.services.map((s) => this.drainOne(s, deadline)));

    this.setState('stopping');
    for (const s of [...this.services].reverse()) {
      try {
        await s.stop();
        this.logger.info({ service: s.name }, 'service stopped');
      } catch (err) {
        this.logger.error({ err, service: s.name }, 'service failed to stop cleanly');
      }
    }
    try {
      await this.store?.close();
    } catch (err) {
      this.logger.error({ err }, 'store close failed');
    }
    try {
      await this.http.close();
    } catch (err) {
      this.logger.error({ err }, 'http close failed');
    }
    this.setState('stopped');
    this.logger.info('stopped');
  }

  /** Drain one service, but never wait for it much past the deadline: shutdown must end. */
  private async drainOne(s: Service, deadline: number): Promise<void> {
    let timer: { cancel(): void } | undefined;
    const overrun = new Promise<'overrun'>((resolve) => {
      timer = this.clock.setTimeout(() => resolve('overrun'), Math.max(0, deadline - this.clock.now()) + DRAIN_GRACE_MS);
    });
    try {
      const r = await Promise.race([s.drain(deadline).then(() => 'drained' as const), overrun]);
      if (r === 'overrun') this.logger.warn({ service: s.name }, 'drain overran its deadline; stopping it anyway');
    } catch (err) {
      this.logger.error({ err, service: s.name }, 'drain failed; stopping it anyway');
    } finally {
      timer?.cancel();
    }
  }
}
