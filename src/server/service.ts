// How long-running parts of a node (the SIP stack, later media workers, event delivery …)
// plug into the server: each is a Service created from the shared ServiceContext. The
// server starts them in list order once HTTP listens, and on shutdown drains them all,
// then stops them in reverse order.
import type { FastifyInstance } from 'fastify';
import type { CallService } from '../core/index.ts';
import type { Clock, Logger } from '../lib/index.ts';
import type { Store } from '../store/index.ts';
import type { Config } from './config.ts';
import type { SwitchboardMetrics } from './metrics.ts';

export interface Service {
  /** Short name for logs ('sip', 'media' …). */
  readonly name: string;
  /** Bind, connect, begin taking work. Throwing aborts server start. */
  start(): Promise<void>;
  /**
   * Stop taking new work, let active work finish until `deadline` (ms on the server's
   * clock), then end what remains cleanly (e.g. BYE active calls). Resolves when idle.
   */
  drain(deadline: number): Promise<void>;
  /**
   * Release every resource (sockets, timers, workers). Called once, after drain. drain and
   * stop are also called when this service's own start() threw, so both must cope with a
   * half-started service.
   */
  stop(): Promise<void>;
}

/** What a service gets to build itself. */
export interface ServiceContext {
  config: Config;
  /** The node logger; a service makes its own child (`logger.child({ service: name })`). */
  logger: Logger;
  metrics: SwitchboardMetrics;
  clock: Clock;
  adminKey: string;
  /** The node's database (SQLite in dataDir, or PostgreSQL with DATABASE_URL), migrated. */
  store: Store;
  /**
   * The node's HTTP app, already listening (routes can no longer be added; raw `upgrade`
   * listeners on http.server can). Optional so tests may build a context without one.
   */
  http?: FastifyInstance;
  /**
   * The node's one CallService, set by the SIP service once its stack and media run (faces
   * read it lazily: it is undefined while the node starts).
   */
  calls?: CallService;
}

export type ServiceFactory = (ctx: ServiceContext) => Service | Promise<Service>;
