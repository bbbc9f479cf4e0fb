// The SIP transport layer (RFC 3261 §18): owns every listening socket and stream connection,
// turns bytes into messages for the transaction layer and messages into bytes for the peers.
//
// Inbound, per message:  ban/rate check (O(1), before parsing; flood.ts) → keep-alive? →
// parse → broken request: 400/505 right here; broken response: dropped → scanner? dropped →
// stamp Via received/rport (§18.2.1, RFC 3581) → emit 'message'.
// Outbound: serialize → UDP socket, or an existing connection (by id, then by
// protocol+address+port), or a new TCP/TLS/WS connection (§18.1.1).
//
// It must never crash on input: every listener and socket callback catches and counts.
// It never retransmits and never matches transactions: that is the layer above.
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';
import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import { nullLogger, systemClock } from '../../lib/index.ts';
import type { Clock, Logger, TimerHandle } from '../../lib/index.ts';
import { parseMessage, serialize } from '../message/index.ts';
import type { SipMessage, SipRequest } from '../message/index.ts';
import type { ConnectionInfo, ConnectionOwner, SipConnection } from './connection.ts';
import { ConnectionTable } from './connection-table.ts';
import { errorResponseFor, partialRequest, salvageRequest } from './error-reply.ts';
import { FloodGuard } from './flood.ts';
import { listenTcp, listenTls, listenWs } from './listeners.ts';
import type { AcceptHooks, Listener } from './listeners.ts';
import { DEFAULT_LIMITS } from './options.ts';
import type { TransportLayerOptions, TransportLimits } from './options.ts';
import { StreamConnection } from './stream-connection.ts';
import { newStats } from './transport-events.ts';
import type { TransportEvents, TransportStats } from './transport-events.ts';
import type { Destination, MessageSender, Source, TransportProtocol } from './types.ts';
import { plainAddress, stampVia } from './via-stamp.ts';
import { WsConnection } from './ws-connection.ts';

/** Ports per protocol when a Via or destination gives none (RFC 3261 §19.1.2, RFC 7118 §7). */
const DEFAULT_PORTS: Record<TransportProtocol, number> = { UDP: 5060, TCP: 5060, TLS: 5061, WS: 80, WSS: 443 };

export interface TransportPorts {
  udp?: number;
  tcp?: number;
  tls?: number;
  ws?: number;
  wss?: number;
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/** First non-internal IPv4 address of this machine, for Via when bound to a wildcard. */
function detectPublicHost(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** Is this datagram only CRLFs (a keep-alive, RFC 5626 §3.5.1 / common NAT practice)? */
function isKeepAlive(buf: Buffer): boolean {
  if (buf.length > 4) return false;
  for (let i = 0; i < buf.length; i++) if (buf[i] !== 13 && buf[i] !== 10) return false;
  return true;
}

function kindOf(msg: SipMessage): string | number {
  return msg.isRequest() ? msg.method : (msg as unknown as { status: number }).status;
}

/** The method a response answers, read from the raw CSeq value without parsing it. */
function cseqMethodOf(msg: SipMessage): string | undefined {
  if (msg.isRequest()) return undefined;
  const c = msg.get('cseq');
  return c === undefined ? undefined : c.slice(c.lastIndexOf(' ') + 1);
}

export class TransportLayer extends EventEmitter<TransportEvents> implements MessageSender {
  readonly ports: TransportPorts = {};
  readonly publicHost: string;
  readonly limits: TransportLimits;
  readonly flood: FloodGuard;
  readonly stats: TransportStats = newStats();
  private readonly host: string;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly connections = new ConnectionTable();
  private readonly servers: Listener[] = [];
  private udp: dgram.Socket | undefined;
  private sweepTimer: TimerHandle | undefined;
  private nextId = 0;
  private closed = false;
  private readonly owner: ConnectionOwner;

  /** Bind every configured listener; rejects (and releases what was bound) if one fails. */
  static async start(opts: TransportLayerOptions = {}): Promise<TransportLayer> {
    const layer = new TransportLayer(opts);
    try {
      await layer.bind(opts);
    } catch (err) {
      await layer.close();
      throw err;
    }
    return layer;
  }

  private constructor(private readonly opts: TransportLayerOptions) {
    super();
    this.host = opts.host ?? '0.0.0.0';
    this.publicHost = opts.publicHost ?? (isWildcard(this.host) ? detectPublicHost() : this.host);
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? nullLogger).child({ mod: 'sip-transport' });
    this.flood = new FloodGuard(opts.flood, this.clock, this.log);
    this.flood.onBan = (address, until) => this.safeEmit('ban', address, until);
    this.owner = {
      onMessage: (conn, raw) => this.onStreamMessage(conn, raw),
      onFramingError: (conn, err) => this.onFramingError(conn, err),
      onClosed: (conn, reason) => this.onConnectionClosed(conn, reason),
      // The dialled name may differ from the peer's IP: make both find this connection.
      onOpen: (conn) => this.connections.alias(conn, conn.protocol, conn.remoteAddress, conn.remotePort),
      now: () => this.clock.now(),
    };
  }

  private async bind(opts: TransportLayerOptions): Promise<void> {
    const udpPort = opts.udpPort === undefined ? 5060 : opts.udpPort;
    const tcpPort = opts.tcpPort === undefined ? 5060 : opts.tcpPort;
    const tlsPort = opts.tlsPort === undefined ? (opts.tls ? 5061 : false) : opts.tlsPort;
    const wsPort = opts.wsPort === undefined ? 5066 : opts.wsPort;
    const wssPort = opts.wssPort === undefined ? (opts.tls ? 5067 : false) : opts.wssPort;
    if ((tlsPort !== false || wssPort !== false) && !opts.tls) throw new Error('TLS/WSS listeners need tls.key and tls.cert');
    const hooks = this.acceptHooks();
    if (udpPort !== false) this.ports.udp = await this.bindUdp(udpPort);
    if (tcpPort !== false) this.ports.tcp = this.keep(await listenTcp(this.host, tcpPort, this.limits, hooks));
    if (tlsPort !== false && opts.tls) this.ports.tls = this.keep(await listenTls(this.host, tlsPort, opts.tls, this.limits, hooks));
    if (wsPort !== false) this.ports.ws = this.keep(await listenWs(this.host, wsPort, false, undefined, this.limits, hooks));
    if (wssPort !== false && opts.tls) this.ports.wss = this.keep(await listenWs(this.host, wssPort, true, opts.tls, this.limits, hooks));
    this.scheduleSweep();
    this.log.info({ host: this.host, publicHost: this.publicHost, ports: this.ports }, 'sip transport listening');
  }

  private keep(l: Listener): number {
    this.servers.push(l);
    return l.port;
  }

  // ── UDP (§18.2.1 / §18.1.1: one datagram, one message) ────────────────────

  private bindUdp(port: number): Promise<number> {
    const sock = dgram.createSocket({ type: net.isIPv6(this.host) ? 'udp6' : 'udp4' });
    this.udp = sock;
    sock.on('message', (buf, rinfo) => this.onDatagram(buf, rinfo));
    sock.on('error', (err) => this.log.error({ err }, 'sip udp socket error'));
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, this.host, () => {
        sock.off('error', reject);
        resolve(sock.address().port);
      });
    });
  }

  private onDatagram(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    const address = rinfo.address;
    const verdict = this.flood.admit(address);
    if (verdict !== 'ok') {
      if (verdict === 'banned') this.stats.droppedBanned++;
      else this.stats.droppedRate++;
      return;
    }
    if (isKeepAlive(buf)) {
      this.stats.keepAlives++;
      return;
    }
    const source: Source = {
      protocol: 'UDP', address, port: rinfo.port, localAddress: this.host, localPort: this.ports.udp ?? 0,
    };
    if (buf.length > this.limits.maxMessageBytes) {
      this.stats.droppedOversize++;
      return;
    }
    this.inbound(buf, source, true, undefined);
  }

  // ── inbound pipeline, shared by every transport ───────────────────────────

  private inbound(raw: Buffer, source: Source, datagram: boolean, conn: SipConnection | undefined): void {
    let msg: SipMessage;
    try {
      msg = parseMessage(raw, { datagram });
    } catch (err) {
      this.onParseError(err, raw, source, conn);
      return;
    }
    if (msg.isRequest()) {
      const ua = msg.get('user-agent');
      if (ua !== undefined && this.flood.isScanner(ua)) {
        this.stats.droppedScanner++;
        this.flood.scannerSeen(source.address, ua);
        this.safeEmit('scanner', source.address, ua);
        return;
      }
      stampVia(msg, source.address, source.port);
    }
    this.stats.messagesIn++;
    // Guarded so the hot path builds no argument list when nobody listens.
    if (this.listenerCount('messageIn') !== 0) this.safeEmit('messageIn', kindOf(msg), source.protocol, cseqMethodOf(msg));
    try {
      this.emit('message', msg, source);
    } catch (err) {
      this.stats.handlerErrors++;
      this.log.error({ err, source }, 'sip message handler threw');
      this.safeEmit('handlerError', err, msg);
    }
  }

  private onParseError(err: unknown, raw: Buffer, source: Source, conn: SipConnection | undefined): void {
    this.stats.parseErrors++;
    const e = err instanceof Error ? err : new Error(String(err));
    this.log.debug({ err: e.message, source }, 'sip message did not parse');
    this.safeEmit('parseError', e, source, raw);
    const partial = partialRequest(err);
    if (partial) {
      const status = (err as { status?: number }).status ?? 400;
      this.replyToBroken(partial, status, e.message, source, conn);
    }
    // A bad Content-Length inside a framed stream message means later bytes cannot be trusted.
    if (conn && (err as { fatalFraming?: boolean }).fatalFraming) conn.close('fatal framing error', false);
  }

  /** Send a stateless 400/505 for a request that could not be passed up. */
  private replyToBroken(req: SipRequest, status: number, why: string, source: Source, conn: SipConnection | undefined): void {
    try {
      // The reason phrase carries a short hint (RFC 3261 §21.4.1 allows any phrase).
      const reason = status === 400 ? `Bad Request (${why.replace(/[\r\n]/g, ' ').slice(0, 80)})` : undefined;
      const res = errorResponseFor(req, status, reason, source.address, source.port);
      if (!res) return;
      const bytes = serialize(res);
      this.stats.errorResponses++;
      this.stats.messagesOut++;
      this.safeEmit('messageOut', status, source.protocol, req.cseq?.method);
      if (conn) conn.sendRaw(bytes);
      else this.udp?.send(bytes, source.port, source.address, () => {});
    } catch (err) {
      this.log.warn({ err }, 'could not answer a broken request');
    }
  }

  // ── stream connections ─────────────────────────────────────────────────────

  private acceptHooks(): AcceptHooks {
    return {
      admit: (socket, protocol) => {
        const address = plainAddress(socket.remoteAddress ?? '');
        if (this.closed) return false;
        if (this.flood.openConnection(address, this.limits.maxConnectionsPerSource)) return true;
        const why = this.flood.isBanned(address) ? 'banned' : 'too many connections from this source';
        this.stats.connectionsRejected++;
        this.log.info({ address, protocol, why }, 'sip connection refused');
        this.safeEmit('connectionRejected', address, protocol, why);
        return false;
      },
      release: (socket) => this.flood.closeConnection(plainAddress(socket.remoteAddress ?? '')),
      accept: (socket, protocol) => this.register(new StreamConnection(this.newId(protocol), protocol, socket, false, this.owner, this.limits)),
      acceptWs: (ws: WebSocket, req: IncomingMessage, protocol) => {
        const s = req.socket;
        this.register(new WsConnection(this.newId(protocol), protocol, ws, false, this.owner, {
          address: s.remoteAddress, port: s.remotePort, localAddress: s.localAddress, localPort: s.localPort,
        }));
      },
      logger: this.log,
    };
  }

  private newId(protocol: TransportProtocol): string {
    return `${protocol.toLowerCase()}-${++this.nextId}`;
  }

  private register(conn: SipConnection): void {
    this.connections.add(conn);
    this.safeEmit('connection', info(conn));
  }

  private onStreamMessage(conn: SipConnection, raw: Buffer): void {
    const verdict = this.flood.admit(conn.remoteAddress);
    if (verdict !== 'ok') {
      if (verdict === 'banned') this.stats.droppedBanned++;
      else this.stats.droppedRate++;
      conn.close(verdict === 'rate' ? 'flood: rate limit exceeded' : 'source banned', true);
      return;
    }
    // RFC 7118 §5: a WebSocket message may carry CRLF keep-alives too.
    if (raw.length <= 4 && isKeepAlive(raw)) {
      this.stats.keepAlives++;
      return;
    }
    const source: Source = {
      protocol: conn.protocol, address: conn.remoteAddress, port: conn.remotePort,
      localAddress: conn.localAddress, localPort: conn.localPort, connectionId: conn.id,
    };
    // Framed streams are exact; a WebSocket message is self-delimited like a datagram.
    this.inbound(raw, source, conn.protocol === 'WS' || conn.protocol === 'WSS', conn);
  }

  private onFramingError(conn: SipConnection, err: Error & { head?: Buffer; status?: number }): void {
    this.stats.parseErrors++;
    const source: Source = {
      protocol: conn.protocol, address: conn.remoteAddress, port: conn.remotePort,
      localAddress: conn.localAddress, localPort: conn.localPort, connectionId: conn.id,
    };
    this.log.info({ err: err.message, source }, 'sip stream framing lost; closing connection');
    this.safeEmit('parseError', err, source, err.head ?? Buffer.alloc(0));
    const req = err.head ? salvageRequest(err.head) : undefined;
    if (req) this.replyToBroken(req, err.status ?? 400, err.message, source, conn);
    conn.close(`framing: ${err.message}`, false);
  }

  private onConnectionClosed(conn: SipConnection, reason: string): void {
    this.connections.remove(conn);
    this.log.debug({ id: conn.id, reason }, 'sip connection closed');
    this.safeEmit('connectionClosed', info(conn), reason);
  }

  /** Idle and slow-message timeouts, checked for all connections at once (no timer per connection). */
  private scheduleSweep(): void {
    if (this.closed) return;
    const every = Math.max(50, Math.min(1000, Math.floor(Math.min(this.limits.idleTimeoutMs, this.limits.messageTimeoutMs) / 4)));
    this.sweepTimer = this.clock.setTimeout(() => {
      try {
        this.sweep();
      } finally {
        this.scheduleSweep();
      }
    }, every);
  }

  private sweep(): void {
    const now = this.clock.now();
    const { idleTimeoutMs, messageTimeoutMs } = this.limits;
    for (const c of this.connections.all()) {
      if (c.partialSince !== 0 && now - c.partialSince >= messageTimeoutMs) c.close('incomplete message timed out', true);
      else if (now - c.lastActivity >= idleTimeoutMs) c.close('idle timeout', false);
    }
  }

  // ── outbound (MessageSender) ───────────────────────────────────────────────

  async send(msg: SipMessage, dest: Destination): Promise<void> {
    if (this.closed) throw new Error('SIP transport is closed');
    const bytes = serialize(msg);
    if (dest.protocol === 'UDP') {
      const udp = this.udp;
      if (!udp) throw new Error('UDP transport is not enabled');
      await new Promise<void>((resolve, reject) => {
        udp.send(bytes, dest.port, dest.address, (err) => (err ? reject(err) : resolve()));
      });
    } else {
      const conn = this.connectionFor(dest);
      await conn.send(bytes);
    }
    this.stats.messagesOut++;
    if (this.listenerCount('messageOut') !== 0) this.safeEmit('messageOut', kindOf(msg), dest.protocol, cseqMethodOf(msg));
  }

  /** §18.2.2: the connection the request came on; else one to that peer; else a new one (§18.1.1). */
  private connectionFor(dest: Destination): SipConnection {
    if (dest.connectionId !== undefined) {
      const c = this.connections.get(dest.connectionId);
      if (c && c.state !== 'closed') return c;
    }
    const existing = this.connections.find(dest.protocol, dest.address, dest.port);
    if (existing) return existing;
    return this.connect(dest);
  }

  private connect(dest: Destination): SipConnection {
    const { protocol, address, port } = dest;
    const id = this.newId(protocol);
    const tlsOpts = this.opts.tls;
    let conn: SipConnection;
    if (protocol === 'TCP') {
      const socket = net.connect({ host: address, port });
      conn = new StreamConnection(id, protocol, socket, true, this.owner, this.limits, { address, port });
    } else if (protocol === 'TLS') {
      const socket = tls.connect({
        host: address, port,
        servername: net.isIP(address) ? undefined : address,
        ca: tlsOpts?.ca, rejectUnauthorized: tlsOpts?.rejectUnauthorized ?? true,
      });
      conn = new StreamConnection(id, protocol, socket, true, this.owner, this.limits, { address, port });
    } else if (protocol === 'WS' || protocol === 'WSS') {
      const host = net.isIPv6(address) ? `[${address}]` : address;
      const url = `${protocol === 'WSS' ? 'wss' : 'ws'}://${host}:${port}`;
      const ws = new WebSocket(url, 'sip', {
        maxPayload: this.limits.maxMessageBytes,
        ca: tlsOpts?.ca, rejectUnauthorized: tlsOpts?.rejectUnauthorized ?? true,
        handshakeTimeout: this.limits.messageTimeoutMs,
      });
      conn = new WsConnection(id, protocol, ws, true, this.owner, { address, port });
    } else {
      throw new Error(`unsupported transport ${String(protocol)}`);
    }
    this.register(conn);
    return conn;
  }

  isReliable(protocol: TransportProtocol): boolean {
    return protocol !== 'UDP';
  }

  /**
   * Via sent-by for requests we send to `dest`: our public host and the port we listen on
   * for that protocol (so responses and new connections can reach us; §18.1.1), or the
   * protocol's default port when we do not listen on it. IPv6 hosts come bracketed.
   */
  viaFor(dest: Destination): { host: string; port: number; protocol: TransportProtocol } {
    const p = dest.protocol;
    const listening = this.ports[p.toLowerCase() as keyof TransportPorts];
    const host = net.isIPv6(this.publicHost) ? `[${this.publicHost}]` : this.publicHost;
    return { host, port: listening ?? DEFAULT_PORTS[p], protocol: p };
  }

  /** Open connections (for diagnostics and tests). */
  connectionCount(): number {
    return this.connections.size;
  }

  /** Close every connection and listener; later send() calls reject. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sweepTimer?.cancel();
    for (const c of [...this.connections.all()]) c.close('transport closing', true);
    const udp = this.udp;
    this.udp = undefined;
    await Promise.all([
      ...this.servers.map((l) => l.close()),
      udp ? new Promise<void>((resolve) => udp.close(() => resolve())) : Promise.resolve(),
    ]);
    this.log.info('sip transport closed');
    this.safeEmit('closed');
  }

  /** Emit without letting a throwing listener escape into socket callbacks. */
  private safeEmit<K extends keyof TransportEvents>(event: K, ...args: TransportEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: TransportEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.stats.handlerErrors++;
      this.log.error({ err, event }, 'sip transport event listener threw');
    }
  }
}

function info(c: SipConnection): ConnectionInfo {
  return {
    id: c.id, protocol: c.protocol, remoteAddress: c.remoteAddress, remotePort: c.remotePort,
    localAddress: c.localAddress, localPort: c.localPort, outbound: c.outbound,
  };
}
