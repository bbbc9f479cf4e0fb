// Makes opted-in routes safe to retry: a request carrying Repeatability-Request-ID +
// Repeatability-First-Sent (ACS / OASIS Repeatable Requests 1.0) or Idempotency-Key runs its
// handler at most once per (caller, id) within the tracking window; duplicates get the first
// response back instead of running again. Requests without those headers pass untouched.
//
// Per request, as ACS's "Repeatable requests" table prescribes:
//
//   headers malformed ─────────────────────────────────────────► 400 (Repeatability-Result: rejected)
//   First-Sent older than the window / too far in the future ──► 412 (rejected)
//   claim(scope, key) ──┬─ claimed ──► handler ──┬─ 2xx/4xx ──► stored, sent   (accepted)
//                       │                        └─ 5xx ──────► released, sent (accepted; a retry re-runs)
//                       └─ held ──┬─ different request ────────► 400 (rejected)
//                                 ├─ first still in flight ────► 409 (accepted, Retry-After: 1)
//                                 └─ first finished ───────────► its response replayed (accepted)
//
// Idempotency-Key requests follow the same path with no First-Sent check (their window runs
// from the first claim) and no Repeatability-Result header. Every decision that matters
// across nodes is the store's atomic claim; this module keeps no state beyond one request.
//
// Usage: hooks are route-level so they run AFTER the route's own preHandlers (auth sets the
// principal that scopes the key):
//   app.post('/v1/calls', guard.route({ preHandler: auth, schema }), handler)
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { nullLogger, systemClock, type Clock, type Logger } from '../../lib/index.ts';
import { errorBody, ERROR_CATALOG, type ErrorCode } from '../errors.ts';
import type { IdempotencyStore, StoredResponse } from './idempotency-store.ts';
import { readRequestIdHeaders, type RequestIdHeaders } from './request-id-headers.ts';

export interface IdempotencyGuardOptions {
  /** Where claims and responses live (the store's IdempotencyRepository). Required. */
  store: IdempotencyStore;
  /** "Now" for windows and expiry; default systemClock. */
  clock?: Clock;
  /** Repeatability tracking window, from First-Sent; default 300000 ms (5 minutes, as ACS). */
  windowMs?: number;
  /** Idempotency-Key window, from the first claim; default 300000 ms (kept equal to the ACS window). */
  keyWindowMs?: number;
  /** How far a First-Sent may lie in the future (client clock ahead); default 60000 ms. */
  maxClockSkewMs?: number;
  /** Whose key space a request uses; default 'admin', 'app:<applicationId>' from request.principal, else 'anonymous'. */
  scopeOf?: (request: FastifyRequest) => string;
  /** Delete expired rows at most this often, piggy-backed on claims; default 60000 ms; 0 = never. */
  purgeIntervalMs?: number;
  /** Store failures after the handler ran; default nullLogger. */
  logger?: Logger;
}

type PreHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
type OnSend = (request: FastifyRequest, reply: FastifyReply, payload: unknown) => Promise<unknown>;
type OnResponse = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface IdempotencyGuard {
  /** Route-level preHandler; must come after authentication. */
  readonly preHandler: PreHandler;
  /** Route-level onSend: records (or releases) the claimed request's response. */
  readonly onSend: OnSend;
  /** Route-level onResponse: releases a claim whose response never reached onSend. */
  readonly onResponse: OnResponse;
  /** Route options with the three hooks appended after the route's own. */
  route<T extends RouteShorthandOptions>(opts?: T): T;
}

/** Response headers that describe one transmission, not the resource: never replayed. */
const NOT_REPLAYED = new Set([
  'content-length', 'date', 'connection', 'keep-alive', 'transfer-encoding', 'set-cookie', 'repeatability-result',
]);

interface Claim {
  scope: string;
  key: string;
  token: string;
  repeatability: boolean;
  settled: boolean;
}

export function defaultIdempotencyScope(request: FastifyRequest): string {
  const p = request.principal;
  if (!p) return 'anonymous';
  return p.kind === 'admin' ? 'admin' : `app:${p.applicationId}`;
}

export function createIdempotencyGuard(opts: IdempotencyGuardOptions): IdempotencyGuard {
  const store = opts.store;
  const clock = opts.clock ?? systemClock;
  const windowMs = opts.windowMs ?? 300_000;
  const keyWindowMs = opts.keyWindowMs ?? 300_000;
  const skewMs = opts.maxClockSkewMs ?? 60_000;
  const scopeOf = opts.scopeOf ?? defaultIdempotencyScope;
  const purgeIntervalMs = opts.purgeIntervalMs ?? 60_000;
  const log = opts.logger ?? nullLogger;
  const claims = new WeakMap<FastifyRequest, Claim>();
  let lastPurge = -Infinity;

  const maybePurge = (now: number): void => {
    if (purgeIntervalMs <= 0 || now - lastPurge < purgeIntervalMs) return;
    lastPurge = now;
    store.purgeExpired(now).catch((err: unknown) => log.warn({ err }, 'idempotency purge failed'));
  };

  const preHandler: PreHandler = async (request, reply) => {
    const h = readRequestIdHeaders(request.headers);
    if (h.kind === 'none') return;
    if (h.kind === 'invalid') return answer(reply, h.code, h.repeatability ? 'rejected' : undefined, h.message);

    const now = clock.now();
    let key: string;
    let expiresAt: number;
    if (h.kind === 'repeatability') {
      // ACS: a First-Sent outside the tracked duration is "potentially unsafe to re-execute" → 412.
      if (now - h.firstSent > windowMs || h.firstSent - now > skewMs) {
        return answer(reply, 'REPEATABILITY_EXPIRED', 'rejected');
      }
      key = `rr:${h.requestId}`;
      // Live as long as any node could still accept a retry carrying this First-Sent.
      expiresAt = h.firstSent + windowMs + skewMs;
    } else {
      key = `ik:${h.key}`;
      expiresAt = now + keyWindowMs;
    }
    const repeatability = h.kind === 'repeatability';
    const scope = scopeOf(request);
    const fingerprint = fingerprintOf(request, h);
    maybePurge(now);

    const result = await store.claim({ scope, key, fingerprint, now, expiresAt });
    if (result.claimed) {
      claims.set(request, { scope, key, token: result.token, repeatability, settled: false });
      return;
    }
    const record = result.record;
    const tag = repeatability ? 'rejected' : undefined;
    if (record.fingerprint !== fingerprint) return answer(reply, 'IDEMPOTENCY_KEY_REUSED', tag);
    if (record.state !== 'completed' || !record.response) {
      reply.header('retry-after', '1');
      return answer(reply, 'IDEMPOTENT_REQUEST_IN_PROGRESS', repeatability ? 'accepted' : undefined);
    }
    return replay(reply, record.response, repeatability);
  };

  const onSend: OnSend = async (request, reply, payload) => {
    const claim = claims.get(request);
    if (!claim || claim.settled) return payload;
    claim.settled = true;
    if (claim.repeatability) reply.header('repeatability-result', 'accepted');
    const body = storableBody(payload);
    try {
      // ACS re-executes a repeat whose original failed with 5xx, so a 5xx is never remembered.
      // A streamed body cannot be captured; the claim is dropped rather than replayed wrong.
      if (reply.statusCode >= 500 || body === undefined) {
        if (body === undefined) log.warn({ url: request.url }, 'idempotent route sent a stream; response not recorded');
        await store.release(claim.scope, claim.key, claim.token);
      } else {
        const response: StoredResponse = { status: reply.statusCode, headers: replayableHeaders(reply), ...body };
        const ours = await store.complete(claim.scope, claim.key, claim.token, response);
        if (!ours) log.warn({ key: claim.key }, 'idempotency claim expired before the response was recorded');
      }
    } catch (err) {
      // The handler already ran: its response goes out regardless. The row stays in flight until
      // it expires, so duplicates get 409 rather than a second execution.
      log.error({ err, key: claim.key }, 'idempotency record not saved');
    }
    return payload;
  };

  const onResponse: OnResponse = async (request) => {
    const claim = claims.get(request);
    if (!claim || claim.settled) return;
    claim.settled = true;
    await store.release(claim.scope, claim.key, claim.token).catch((err: unknown) => {
      log.error({ err, key: claim.key }, 'idempotency claim not released');
    });
  };

  const route = <T extends RouteShorthandOptions>(routeOpts?: T): T => {
    const o = (routeOpts ?? {}) as RouteShorthandOptions;
    return {
      ...o,
      preHandler: [...hookList(o.preHandler), preHandler],
      onSend: [...hookList(o.onSend), onSend],
      onResponse: [...hookList(o.onResponse), onResponse],
    } as T;
  };

  return { preHandler, onSend, onResponse, route };
}

function hookList(h: unknown): any[] {
  if (h === undefined) return [];
  return Array.isArray(h) ? h : [h];
}

/** Sends a catalog error directly (not thrown), so the Repeatability-Result header survives. */
function answer(reply: FastifyReply, code: ErrorCode, result: 'accepted' | 'rejected' | undefined, message?: string): FastifyReply {
  if (result) reply.header('repeatability-result', result);
  return reply.code(ERROR_CATALOG[code].status).send(errorBody(code, message));
}

function replay(reply: FastifyReply, response: StoredResponse, repeatability: boolean): FastifyReply {
  for (const [name, value] of Object.entries(response.headers)) reply.header(name, value);
  if (repeatability) reply.header('repeatability-result', 'accepted');
  const body = response.bodyEncoding === 'base64' ? Buffer.from(response.body, 'base64') : response.body;
  reply.code(response.status);
  // An empty body (204, 202 without content) is sent as nothing at all, as the first time.
  return response.body === '' ? reply.send() : reply.send(body);
}

/**
 * What makes two requests "the same": method, URL (path and query), the body, and for
 * Repeatability the First-Sent value — a retry repeats the original's headers verbatim, so a
 * different First-Sent under the same id is a different request (400, never a second run).
 */
function fingerprintOf(request: FastifyRequest, h: RequestIdHeaders): string {
  const body = request.body;
  const bodyText =
    body === undefined || body === null ? ''
      : Buffer.isBuffer(body) ? `b64:${body.toString('base64')}`
        : typeof body === 'string' ? `str:${body}`
          : `json:${JSON.stringify(body)}`;
  const firstSent = h.kind === 'repeatability' ? h.firstSentRaw : '';
  return createHash('sha256').update(JSON.stringify([request.method, request.url, firstSent, bodyText])).digest('hex');
}

function storableBody(payload: unknown): Pick<StoredResponse, 'body' | 'bodyEncoding'> | undefined {
  if (payload === undefined || payload === null) return { body: '', bodyEncoding: 'utf8' };
  if (typeof payload === 'string') return { body: payload, bodyEncoding: 'utf8' };
  if (Buffer.isBuffer(payload)) return { body: payload.toString('base64'), bodyEncoding: 'base64' };
  return undefined;
}

function replayableHeaders(reply: FastifyReply): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    const lower = name.toLowerCase();
    if (value === undefined || NOT_REPLAYED.has(lower)) continue;
    out[lower] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}
