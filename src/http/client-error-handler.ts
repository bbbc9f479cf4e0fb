// Answers the requests Node's HTTP parser rejects before Fastify routes them (headers over
// 16 KB, a request timeout, malformed request lines) in the catalog's error shape
// (errors.ts, docs/errors.md) instead of Fastify's default `{"error","message","statusCode"}`:
// a client sees one shape for every failure. Found by test/api-hostile-input.test.ts (a 64 KB
// Operation-Context header got Fastify's uncatalogued 431).
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { ERROR_CATALOG, errorBody, type ErrorCode } from './errors.ts';

/** The catalog code for a Node HTTP parser error (https://nodejs.org/api/http.html#event-clienterror). */
export function clientErrorCode(err: { code?: string }): ErrorCode {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'REQUEST_TIMEOUT';
  if (err.code === 'HPE_HEADER_OVERFLOW') return 'HEADERS_TOO_LARGE';
  return 'BAD_REQUEST';
}

/** Fastify's `clientErrorHandler` option: writes the catalogued response and closes the socket. */
export function catalogClientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody left to answer (as Fastify's default handler).
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const code = clientErrorCode(err);
  const status = ERROR_CATALOG[code].status;
  const body = JSON.stringify(errorBody(code));
  // As Node's own handler: answer when the socket can still take it, then close.
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n`
      + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}
