// The SIP service: starts the SIP stack on the configured ports, decides trust (trusted
// sources pass; everyone else answers a digest challenge), runs the registrar, routes new
// calls to their handler (diagnostic targets first, then numbers and SIP URIs routed to
// applications through the node's CallService, see calls-service.ts), runs the media engine (workers,
// RTP) those calls use and closes it last, feeds the metrics, and drains on
// shutdown: new INVITEs get 503 + Retry-After while active calls may finish until the
// deadline; whatever is still up then is hung up with BYE before the sockets close.
import { readFileSync } from 'node:fs';
import {
  DigestServer, IpMatcher, Registrar, SipStack,
  type Binding, type BindingStore, type IncomingSession, type InviteSession, type SipRequest, type Source,
} from '../sip/index.ts';
import type { Logger } from '../lib/index.ts';
import { EventEmitter } from 'node:events';
import { MediaEngine, type DtmfEventData, type MediaEndpointHandle } from '../media/index.ts';
import { DIAGNOSTIC_TARGETS, runDiagnosticTarget, type DiagnosticKind } from './diagnostics/diagnostic-target.ts';
import { CallsWiring } from './calls-service.ts';
import { TrunkRegistrations } from './trunk-registrations.ts';
import { closeInterruptedCalls } from '../core/index.ts';
import type { Service, ServiceContext } from './service.ts';

/** Seconds a caller is told to wait (Retry-After) when we refuse calls while draining. */
const DRAIN_RETRY_AFTER_S = 30;

/** Out-of-dialog methods that untrusted sources must authenticate (ACK and CANCEL cannot be challenged, RFC 3261 §22.1). */
const AUTHENTICATED_METHODS = ['INVITE', 'MESSAGE', 'OPTIONS', 'SUBSCRIBE', 'REFER', 'NOTIFY', 'PUBLISH', 'INFO', 'UPDATE'];

export interface SipServiceOptions {
  /** Where registrar bindings are kept; default the node's database (they survive a restart). */
  bindings?: BindingStore;
  /** Media worker threads. Default os.availableParallelism(). */
  mediaWorkers?: number;
  /** Reject inbound application calls nobody answered after this long; default CallService's (30000 ms). */
  unansweredTimeoutMs?: number;
}

/** What the diagnostic targets report, for tests and tools. */
export interface DiagnosticEvents {
  /** A call to a diagnostic target got its media endpoint. */
  endpoint: [handle: MediaEndpointHandle, callId: string, target: DiagnosticKind];
  /** A digit detected on a diagnostic call. */
  dtmf: [ev: DtmfEventData, callId: string];
}

export class SipService implements Service {
  readonly name = 'sip';
  private stack: SipStack | undefined;
  private draining = false;
  private readonly sessions = new Set<InviteSession>();
  private readonly logger: Logger;
  private readonly trusted: IpMatcher;
  private media: MediaEngine | undefined;
  /** Endpoint and DTMF events of diagnostic calls (tests, tools). */
  readonly diagnostics = new EventEmitter<DiagnosticEvents>();
  private registrar: Registrar | undefined;
  private wiring: CallsWiring | undefined;
  private trunkRegs: TrunkRegistrations | undefined;

  constructor(private readonly ctx: ServiceContext, private readonly opts: SipServiceOptions = {}) {
    this.logger = ctx.logger.child({ service: 'sip' });
    this.trusted = new IpMatcher(ctx.config.sip.trusted);
  }

  /** The running stack (for tests and tools); throws before start. */
  get sip(): SipStack {
    if (!this.stack) throw new Error('SIP service not started');
    return this.stack;
  }

  /** The media engine (started with the service); throws before start. */
  get mediaEngine(): MediaEngine {
    if (!this.media) throw new Error('SIP service not started');
    return this.media;
  }

  /** The node's CallService (built at start); throws before start. */
  get calls(): CallsWiring['calls'] {
    if (!this.wiring) throw new Error('SIP service not started');
    return this.wiring.calls;
  }

  /** Routing and outbound dialing behind the CallService (for tests and tools); undefined before start. */
  get callsWiring(): CallsWiring | undefined {
    return this.wiring;
  }

  get ua(): SipStack['ua'] {
    return this.sip.ua;
  }

  /** Current bindings of an address-of-record (read-only; for tests and tools); [] before start. */
  async lookupBindings(aor: string): Promise<Binding[]> {
    return this.registrar ? this.registrar.lookup(aor) : [];
  }

  /** Ports actually bound (0 in the config resolves to an ephemeral port). */
  get ports(): SipStack['transport']['ports'] {
    return this.sip.transport.ports;
  }

  async start(): Promise<void> {
    const { config, clock, metrics } = this.ctx;
    // Before any new call: calls a crashed previous run left open get ended (node-restart) with
    // their CDRs and call.ended, so nothing stays 'established' forever (core/calls/call-recovery.ts).
    await closeInterruptedCalls({ store: this.ctx.store, logger: this.logger, now: () => clock.now() });
    const users = new Map(config.sip.users.map((u) => [u.username, u.password]));
    const digest = new DigestServer({
      realm: config.sip.realm,
      algorithms: config.sip.digestAlgorithms,
      clock,
      lookup: async (username) => {
        // YAML sip.users first (a declaration kept for small setups), then the tenancy store:
        // one indexed read per challenge answer, no cache, so a user created, changed or
        // deleted through /v1/sip-users, the CLI or the config file counts at once.
        const password = users.get(username);
        if (password !== undefined) return { password };
        const u = await this.ctx.store.tenancy.sipUsers.getByUsername(username);
        if (!u) return undefined;
        // An HA1 given instead of a password is MD5(username:realm:password) for this node's realm.
        return u.password !== null ? { password: u.password } : u.ha1 !== null ? { ha1: u.ha1 } : undefined;
      },
    });
    this.media = await MediaEngine.start({
      portMin: config.rtp.portMin,
      portMax: config.rtp.portMax,
      bindAddress: config.bind,
      logger: this.ctx.logger.child({ service: 'media' }),
      ...(this.opts.mediaWorkers !== undefined ? { workers: this.opts.mediaWorkers } : {}),
    });
    const store = this.opts.bindings ?? this.ctx.store.registrations;
    this.registrar = new Registrar({ store, clock, authenticate: (req) => digest.check(req) });
    const tls = config.sip.tls;
    this.stack = await SipStack.start({
      clock,
      logger: this.logger,
      transport: {
        host: config.bind,
        publicHost: config.publicHost,
        udpPort: config.sip.port,
        tcpPort: config.sip.port,
        wsPort: config.sip.wsPort,
        // Secure WebSocket comes with the WebRTC work; TLS alone does not open it.
        wssPort: false,
        ...(tls ? { tlsPort: tls.port, tls: { cert: readFileSync(tls.cert), key: readFileSync(tls.key) } } : {}),
        flood: {
          ratePerSecond: config.sip.flood.requestsPerSecond,
          burst: config.sip.flood.burst,
          banMs: config.sip.flood.banMs,
          exempt: config.sip.trusted,
          ...(config.sip.flood.scannerUserAgents ? { scannerUserAgents: config.sip.flood.scannerUserAgents } : {}),
        },
        limits: { maxConnectionsPerSource: config.sip.flood.maxConnectionsPerSource },
      },
      ua: {
        userAgentName: config.sip.userAgent,
        registrar: this.registrar,
        authenticateMethods: AUTHENTICATED_METHODS,
        authenticate: async (req: SipRequest, source: Source) => {
          if (this.trusted.matches(source.address)) return { ok: true };
          // A trunk's own gateways are trusted peers: carriers do not answer digest challenges.
          if (await this.wiring?.trunkSources.matches(source.address)) return { ok: true, identity: 'trunk' };
          const r = await digest.check(req);
          return r.ok ? { ok: true, identity: r.username } : { ok: false, response: r.response };
        },
      },
    });
    const { transport, transactions, ua } = this.stack;
    transport.on('messageIn', (kind, _protocol, cseqMethod) => metrics.sipMessage('in', kind, cseqMethod));
    transport.on('messageOut', (kind, _protocol, cseqMethod) => metrics.sipMessage('out', kind, cseqMethod));
    transport.on('parseError', (_err, source) => metrics.sipParseError(source.protocol));
    transport.on('ban', (address, until) => {
      metrics.sipBan();
      this.logger.warn({ address, untilMs: until }, 'SIP source banned for flooding');
    });
    metrics.setProvider('sip_transactions', () => transactions.counts());
    metrics.setProvider('sip_dialogs', () => ua.stats().dialogs);
    metrics.setProvider('active_calls', () => this.sessions.size);
    const media = this.media;
    metrics.setMediaProvider(() => media.health());
    metrics.setProvider('sip_banned_sources', () => transport.flood.activeBans().size);
    metrics.setProvider('sip_registrations', () => this.registrationCount);
    this.refreshRegistrationCount(store);
    const registrar = this.registrar;
    this.wiring = new CallsWiring({
      ctx: this.ctx, ua, media: this.media,
      lookupBindings: (aor) => registrar.lookup(aor),
      ...(store.list ? { listBindings: () => store.list!() } : {}),
      adopt: (s) => this.adopt(s),
      ...(this.opts.unansweredTimeoutMs !== undefined ? { unansweredTimeoutMs: this.opts.unansweredTimeoutMs } : {}),
    });
    ua.on('invite', (session) => this.onInvite(session));
    // Trunks with register: true bind at their carriers; the set follows the store (see trunk-registrations.ts).
    this.trunkRegs = new TrunkRegistrations({
      ua, store: this.ctx.store, clock, logger: this.logger.child({ component: 'trunk-registrations' }), registry: metrics.registry,
    });
    await this.trunkRegs.start();
  }

  /** Carrier registrations of trunks (for tests and tools); undefined before start. */
  get trunkRegistrations(): TrunkRegistrations | undefined {
    return this.trunkRegs;
  }

  /** Bindings counted every 5 s for the gauge (the store is async; a scrape must not wait on it). */
  private registrationCount = 0;
  private countTimer: { cancel(): void } | undefined;
  private refreshRegistrationCount(store: BindingStore): void {
    store.list?.().then((b) => { this.registrationCount = b.length; }, () => {});
    this.countTimer = this.ctx.clock.setTimeout(() => this.refreshRegistrationCount(store), 5000);
  }

  private onInvite(session: IncomingSession): void {
    if (this.draining) {
      session.reject(503, 'Service Unavailable', [['Retry-After', String(DRAIN_RETRY_AFTER_S)]]);
      return;
    }
    this.sessions.add(session);
    session.once('terminated', () => this.sessions.delete(session));
    const user = session.request.requestUri.user;
    // Diagnostic targets (sip:answer@ …) keep priority over numbers: operators test with them.
    if (user && DIAGNOSTIC_TARGETS.includes(user as DiagnosticKind)) return this.runDiagnostic(session, user as DiagnosticKind);
    if (!this.wiring) return void session.reject(404, 'Not Found');
    this.wiring.route(session).then((r) => {
      if (session.state !== 'initial' && session.state !== 'early') return;
      switch (r.kind) {
        case 'call': return;
        case 'diagnostic':
          if (DIAGNOSTIC_TARGETS.includes(r.target as DiagnosticKind)) return this.runDiagnostic(session, r.target as DiagnosticKind);
          return session.reject(404, 'Not Found');
        case 'unavailable': return session.reject(480, 'Temporarily Unavailable');
        case 'unrouted': return session.reject(404, 'Not Found');
      }
    }).catch((err: unknown) => {
      this.logger.error({ err, callId: session.request.callId }, 'call routing failed');
      if (session.state === 'initial' || session.state === 'early') session.reject(500, 'Server Internal Error');
    });
  }

  private runDiagnostic(session: IncomingSession, kind: DiagnosticKind): void {
    try {
      if (!this.media) return void session.reject(503, 'Service Unavailable');
      runDiagnosticTarget(session, kind, {
        publicHost: this.ctx.config.publicHost,
        media: this.media,
        clock: this.ctx.clock,
        logger: this.logger,
        onDtmf: (ev, callId) => {
          this.ctx.metrics.mediaDtmf(ev.source);
          this.diagnostics.emit('dtmf', ev, callId);
        },
        onEndpoint: (h, callId, k) => this.diagnostics.emit('endpoint', h, callId, k),
      });
    } catch (err) {
      this.logger.error({ err, callId: session.request.callId }, 'call handler failed');
      if (session.state === 'initial' || session.state === 'early') session.reject(500, 'Server Internal Error');
    }
  }

  /** Track a session this node started (outbound), so drain waits for it and hangs it up. */
  adopt(session: InviteSession): void {
    this.sessions.add(session);
    session.once('terminated', () => this.sessions.delete(session));
  }

  async drain(deadline: number): Promise<void> {
    this.draining = true;
    const { clock } = this.ctx;
    while (this.sessions.size > 0 && clock.now() < deadline) {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, Math.min(200, Math.max(1, deadline - clock.now()))));
    }
    if (this.sessions.size === 0) return;
    this.logger.info({ calls: this.sessions.size }, 'drain deadline reached: ending active calls');
    await Promise.all([...this.sessions].map(async (s) => {
      try {
        if (s.state === 'established' || s.state === 'answered') await s.bye();
        else if ('reject' in s && (s.state === 'initial' || s.state === 'early')) (s as IncomingSession).reject(503, 'Service Unavailable');
      } catch (err) {
        this.logger.debug({ err }, 'ending a call during drain failed');
      }
    }));
  }

  async stop(): Promise<void> {
    const { metrics } = this.ctx;
    this.countTimer?.cancel();
    for (const name of ['sip_transactions', 'sip_dialogs', 'active_calls', 'sip_banned_sources', 'sip_registrations'] as const) {
      metrics.setProvider(name, undefined);
    }
    metrics.setMediaProvider(undefined);
    // Calls first: each live call ends (BYE/CANCEL) and its CDR is written while SIP still runs.
    await this.wiring?.close().catch((err: unknown) => this.logger.error({ err }, 'closing calls failed'));
    // Unregister from carriers (Expires: 0, bounded) while the transport still runs.
    await this.trunkRegs?.close().catch((err: unknown) => this.logger.error({ err }, 'closing trunk registrations failed'));
    await this.stack?.close();
    // Media last: calls are gone by now, so this only closes leftovers (and the workers).
    await this.media?.close();
  }
}

export function createSipService(ctx: ServiceContext): SipService {
  return new SipService(ctx);
}
