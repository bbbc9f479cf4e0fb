// Mounts the ACS Call Automation data plane (vendor-apis.md A.1) on the HTTP app: HMAC auth
// against the applications' ACS access keys (A.10, ./acs-key-matcher.ts), the routes mapped onto CallService
// operations, errors in ACS's shape {error: {code, message}} (A.9), Repeatability-* headers
// through the shared idempotency guard, and the OpenID configuration + JWKS for callback JWTs.
// Any api-version is accepted. The routes live in ./routes/ (one module per area, see
// ./route-context.ts); routes ACS has that core cannot do yet answer 501
// {error: {code: "NotSupported"}} (./routes/not-yet.ts) and are listed in docs/faces/acs.md.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { applicationPrincipal, type CallService, type Participant, type Principal, type Tenancy } from '../../core/index.ts';
import { createIdempotencyGuard, type IdempotencyStore } from '../../http/index.ts';
import { systemClock, type Clock } from '../../lib/index.ts';
import { AcsError, bad, fromCallError, need, notFound } from './acs-error.ts';
import { AcsKeyMatcher, type AcsAuthStats } from './acs-key-matcher.ts';
import { serverCallIdOf } from './callback-events.ts';
import type { CallbackJwtSigner } from './callback-jwt.ts';
import { toIdentifier, toParticipant } from './identifiers.ts';
import type { IncomingCallContexts } from './incoming-call-context.ts';
import { EventGridPublisher } from './incoming-call.ts';
import type { AcsBody, AcsRecordings, AcsRouteContext } from './route-context.ts';
import { ACS_ROUTES } from './routes/index.ts';

export interface AcsFaceOptions {
  tenancy: () => Tenancy | undefined;
  calls: () => CallService | undefined;
  contexts: IncomingCallContexts;
  signer: CallbackJwtSigner;
  /** Idempotency records; default none (Repeatability headers ignored). */
  idempotency?: () => IdempotencyStore | undefined;
  /** Default systemClock. */
  clock?: Clock;
  /** Accepted clock skew of x-ms-date; default 300000 ms. */
  maxSkewMs?: number;
  /** Domain of SIP users that 8:acs:<user> maps to; default 'localhost'. */
  sipDomain?: string;
  /** Recording metadata and files for /calling/recordings; default none (503). */
  recordings?: () => AcsRecordings | undefined;
  /** Event Grid delivery with the validation handshake; default a publisher that reports nothing. */
  eventGrid?: EventGridPublisher;
}

declare module 'fastify' {
  interface FastifyRequest { acsRawBody?: Buffer }
}

/** What a mounted face exposes to its node. */
export interface AcsFace {
  /** HMAC auth counters (requests, HMACs computed, key reads) since the face was mounted. */
  readonly authStats: Readonly<AcsAuthStats>;
}

/** The call connection or recording a path is about: the key that last touched it probably signed this request too. */
function resourceOf(url: string): { resource?: string } {
  const m = /^\/calling\/(callConnections|recordings)\/([^/?:]+)/.exec(url);
  return m ? { resource: `${m[1]}/${m[2]}` } : {};
}

export function registerAcsFace(app: FastifyInstance, opts: AcsFaceOptions): AcsFace {
  const clock = opts.clock ?? systemClock;
  const eventGrid = opts.eventGrid ?? new EventGridPublisher();
  const sipDomain = opts.sipDomain ?? 'localhost';
  const guard = opts.idempotency
    ? createIdempotencyGuard({
        store: {
          claim: (r) => need(opts.idempotency!(), 'idempotency').claim(r),
          complete: (s, k, t, r) => need(opts.idempotency!(), 'idempotency').complete(s, k, t, r),
          release: (s, k, t) => need(opts.idempotency!(), 'idempotency').release(s, k, t),
          purgeExpired: (n) => need(opts.idempotency!(), 'idempotency').purgeExpired(n),
        },
        clock,
      })
    : undefined;
  const keys = new AcsKeyMatcher({
    load: () => need(opts.tenancy(), 'tenancy').acs.allActiveKeys(), clock,
    ...(opts.maxSkewMs !== undefined ? { maxSkewMs: opts.maxSkewMs } : {}),
  });

  const auth = async (request: FastifyRequest): Promise<void> => {
    const r = await keys.authenticate(
      { method: request.method, pathAndQuery: request.url, headers: request.headers as Record<string, string>, body: request.acsRawBody ?? '' },
      { connection: request.raw.socket, peer: request.ip, ...resourceOf(request.url) },
    );
    if (!r.ok) {
      const why = r.failure === 'STALE_DATE' ? 'The request date (x-ms-date) is outside the allowed clock skew.' : 'Denied by the HMAC authentication: the signature does not match.';
      throw new AcsError(401, r.failure === 'STALE_DATE' ? 'RequestDateOutOfRange' : 'Unauthorized', why);
    }
    request.principal = applicationPrincipal(r.applicationId);
  };

  void app.register(async (api) => {
    api.removeAllContentTypeParsers();
    // The raw bytes, not a decoded string: the SDK hashes the bytes it sent (x-ms-content-sha256),
    // and decoding invalid UTF-8 would change them — a correctly signed request with a garbage
    // body got 401 instead of 400 (acs-hostile-input.test.ts). Invalid UTF-8 is a 400 after auth.
    api.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
      const raw = body as Buffer;
      (req as FastifyRequest).acsRawBody = raw;
      try {
        done(null, raw.length ? JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw)) : {});
      } catch {
        done(bad('The body is not valid UTF-8 JSON.'), undefined);
      }
    });
    api.setErrorHandler((err, _req, reply) => {
      const e = fromCallError(err);
      if (e instanceof AcsError) return reply.code(e.status).send({ error: { code: e.code, message: e.message } });
      const fe = err as { statusCode?: number; message?: string };
      if (typeof fe.statusCode === 'number' && fe.statusCode < 500) return reply.code(fe.statusCode).send({ error: { code: 'BadRequest', message: fe.message ?? 'bad request' } });
      return reply.code(500).send({ error: { code: 'InternalServerError', message: 'Internal error.' } });
    });

    const base = (request: FastifyRequest): string => `${request.protocol}://${request.headers.host ?? 'localhost'}`;
    api.get('/.well-known/openid-configuration', async (request) => opts.signer.openIdConfiguration(base(request)));
    api.get('/calling/.well-known/acsopenidconfiguration', async (request) => opts.signer.openIdConfiguration(base(request)));
    api.get('/calling/.well-known/acsjwks', async () => opts.signer.jwks());

    const routeOpts = guard ? guard.route({ preHandler: auth }) : { preHandler: auth };
    api.route({ method: ['GET', 'POST', 'DELETE'], url: '/calling/*', ...routeOpts, handler: async (request, reply) => dispatch(request, reply) });
  });

  const calls = (): CallService => need(opts.calls(), 'calls');
  const principalOf = (r: FastifyRequest): Principal => r.principal!;
  const participant = (raw: unknown, what: string): Participant => {
    const p = toParticipant(raw, sipDomain);
    if ('problem' in p) throw bad(`${what}: ${p.problem}`);
    return p;
  };

  const ctx: AcsRouteContext = {
    calls,
    tenancy: () => need(opts.tenancy(), 'tenancy'),
    contexts: opts.contexts,
    signer: opts.signer,
    clock,
    sipDomain,
    principalOf,
    applicationIdOf: (r) => (principalOf(r) as { applicationId: string }).applicationId,
    participant,
    async properties(request, callId, extra = {}) {
      const v = await calls().get(principalOf(request), callId);
      const state = v.state === 'established' ? 'connected' : v.state === 'ending' ? 'disconnecting' : v.state === 'ended' ? 'disconnected' : 'connecting';
      const live = calls().getLive(principalOf(request), callId);
      return {
        callConnectionId: v.id, serverCallId: serverCallIdOf(v.id), correlationId: v.id, callConnectionState: state,
        targets: [toIdentifier((v.direction === 'outbound' ? v.to : v.from) as unknown as Participant)],
        ...((v.from as { kind?: string }).kind === 'phone' ? { sourceCallerIdNumber: toIdentifier(v.from as unknown as Participant) } : {}),
        ...(live?.callbackUrl ? { callbackUri: live.callbackUrl } : {}),
        ...extra,
      };
    },
    legFor(request, callId, who) {
      if (who === undefined || who === null) return undefined;
      const p = participant(who, 'targetParticipant');
      const call = calls().getLive(principalOf(request), callId);
      const leg = call && [...call.legs.values()].find((l) => l.live && JSON.stringify(toIdentifier(l.participant)) === JSON.stringify(toIdentifier(p)));
      if (!leg) throw notFound('The participant is not in the call.');
      return leg.id;
    },
    run(request, callId, op, params, body) {
      return calls().execute(callId, op, params, {
        principal: principalOf(request),
        ...(typeof body.operationContext === 'string' ? { operationContext: body.operationContext } : {}),
        ...(typeof body.operationCallbackUri === 'string' ? { callbackUrl: body.operationCallbackUri } : {}),
      });
    },
    playSources(raw) {
      if (!Array.isArray(raw) || raw.length === 0) throw bad('playSources must list at least one source.');
      return raw.map((s: Record<string, any>) => {
        const kind = String(s?.kind ?? (s?.file ? 'file' : s?.text ? 'text' : s?.ssml ? 'ssml' : '')).toLowerCase();
        if (kind === 'file') return { kind: 'url', url: s.file?.uri };
        if (kind === 'text') return { kind: 'tts', text: s.text?.text, ...(s.text?.voiceName ? { voice: s.text.voiceName } : {}), ...(s.text?.sourceLocale ? { language: s.text.sourceLocale } : {}) };
        if (kind === 'ssml') return { kind: 'tts', ssml: s.ssml?.ssmlText };
        throw bad(`play source kind ${kind} is not file, text or ssml.`);
      });
    },
    recordings: () => need(opts.recordings?.(), 'recordings'),
    async publishEventGrid(applicationId, events) {
      const url = await need(opts.tenancy(), 'tenancy').acs.incomingCallUrl(applicationId);
      if (url) await eventGrid.publish(url, events);
    },
    notSupported(what) {
      throw new AcsError(501, 'NotSupported', `${what} is not supported by Switchboard yet (see docs/faces/acs.md).`);
    },
  };

  async function dispatch(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const path = request.url.split('?')[0];
    const body = (request.body ?? {}) as AcsBody;
    for (const r of ACS_ROUTES) {
      if (r.method !== request.method) continue;
      const g = r.pattern.exec(path);
      if (g) return r.handle(ctx, request, reply, g, body);
    }
    throw notFound(`No ACS route for ${request.method} ${path}`);
  }

  return { authStats: keys.stats };
}
