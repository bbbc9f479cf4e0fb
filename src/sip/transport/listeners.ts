// Creating the listening sockets of the stream transports: TCP, TLS (RFC 3261 §26.2) and
// SIP over WebSocket / secure WebSocket (RFC 7118). Admission (bans, per-source connection
// limits) happens on the raw TCP socket, before any TLS handshake or HTTP parsing, so a
// refused source costs us one accept and one close.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { Logger } from '../../lib/index.ts';
import type { TlsOptions, TransportLimits } from './options.ts';
import type { TransportProtocol } from './types.ts';

export interface AcceptHooks {
  /** May this raw socket stay? Counts it toward its source's limit when yes. */
  admit(socket: Socket, protocol: TransportProtocol): boolean;
  /** A socket that admit() accepted has closed. */
  release(socket: Socket): void;
  /** A TCP connection, or a TLS one after its handshake. */
  accept(socket: Socket, protocol: TransportProtocol): void;
  /** A WebSocket that completed its handshake with subprotocol 'sip'. */
  acceptWs(ws: WebSocket, req: IncomingMessage, protocol: TransportProtocol): void;
  logger: Logger;
}

export interface Listener {
  port: number;
  close(): Promise<void>;
}

/** Admit or refuse each raw socket; returns the live ones so close() can destroy them all. */
function admission(server: net.Server, protocol: TransportProtocol, hooks: AcceptHooks): Set<Socket> {
  const live = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    // Until someone else attaches one, an 'error' on a raw socket would crash the process.
    socket.on('error', () => {});
    if (!hooks.admit(socket, protocol)) {
      socket.destroy();
      return;
    }
    live.add(socket);
    socket.once('close', () => {
      live.delete(socket);
      hooks.release(socket);
    });
  });
  server.on('error', (err) => hooks.logger.error({ err, protocol }, 'sip listener error'));
  return live;
}

function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/**
 * server.close() waits for every connection to end, including ones still in a TLS or
 * WebSocket handshake that the layer does not know yet: destroy those too.
 */
function closer(server: net.Server, live: Set<Socket>, extra?: () => void): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      extra?.();
      server.close(() => resolve());
      for (const s of live) s.destroy();
    });
}

export async function listenTcp(host: string, port: number, limits: TransportLimits, hooks: AcceptHooks): Promise<Listener> {
  const server = net.createServer();
  server.maxConnections = limits.maxConnections;
  const live = admission(server, 'TCP', hooks);
  server.on('connection', (socket: Socket) => {
    if (!socket.destroyed) hooks.accept(socket, 'TCP');
  });
  return { port: await listen(server, host, port), close: closer(server, live) };
}

export async function listenTls(
  host: string, port: number, cert: TlsOptions, limits: TransportLimits, hooks: AcceptHooks,
): Promise<Listener> {
  const server = tls.createServer({ key: cert.key, cert: cert.cert, handshakeTimeout: limits.messageTimeoutMs });
  server.maxConnections = limits.maxConnections;
  const live = admission(server, 'TLS', hooks);
  server.on('secureConnection', (socket: tls.TLSSocket) => hooks.accept(socket, 'TLS'));
  server.on('tlsClientError', (err, socket) => {
    hooks.logger.debug({ err: err.message, address: socket.remoteAddress }, 'sip tls handshake failed');
  });
  return { port: await listen(server, host, port), close: closer(server, live) };
}

/** RFC 7118 §4.1: the handshake must offer the 'sip' subprotocol; anything else is refused. */
function offersSip(req: IncomingMessage): boolean {
  const h = req.headers['sec-websocket-protocol'];
  if (!h) return false;
  return h.split(',').some((p) => p.trim().toLowerCase() === 'sip');
}

export async function listenWs(
  host: string, port: number, secure: boolean, cert: TlsOptions | undefined, limits: TransportLimits, hooks: AcceptHooks,
): Promise<Listener> {
  const protocol: TransportProtocol = secure ? 'WSS' : 'WS';
  const t = limits.messageTimeoutMs;
  const httpOpts = {
    headersTimeout: t,
    requestTimeout: t + 1000,
    connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(t / 2))),
  };
  const server = secure
    ? https.createServer({ ...httpOpts, key: cert?.key, cert: cert?.cert, handshakeTimeout: t })
    : http.createServer(httpOpts);
  server.maxConnections = limits.maxConnections;
  const live = admission(server, protocol, hooks);
  // Plain HTTP requests get a clear answer instead of hanging until the timeout.
  server.on('request', (_req, res) => {
    res.writeHead(426, { Connection: 'close', Upgrade: 'websocket' }).end('SIP over WebSocket only (RFC 7118)\n');
  });
  const wss = new WebSocketServer({
    server,
    maxPayload: limits.maxMessageBytes,
    clientTracking: false,
    handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
    verifyClient: (info, cb) => {
      if (offersSip(info.req)) cb(true);
      else cb(false, 400, 'WebSocket subprotocol "sip" required (RFC 7118)');
    },
  });
  wss.on('connection', (ws, req) => hooks.acceptWs(ws, req, protocol));
  wss.on('error', (err) => hooks.logger.error({ err, protocol }, 'sip websocket server error'));
  return { port: await listen(server, host, port), close: closer(server, live, () => wss.close()) };
}
