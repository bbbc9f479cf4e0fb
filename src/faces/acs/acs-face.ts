// Mounts the ACS Call Automation data plane (vendor-apis.md A.1) on the HTTP app: HMAC auth
// against the applications' ACS access keys (A.10), the routes mapped onto CallService
// operations, errors in ACS's shape {error: {code, message}} (A.9), Repeatability-* headers
// through the shared idempotency guard, and the OpenID configuration + JWKS for callback JWTs.
// Any api-version is accepted. Routes ACS has that core cannot do yet answer 501
// {error: {code: "NotSupported"}} and are listed in docs/faces/acs.md.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { applicationPrincipal, CallError, type CallService, type Participant, type Tenancy } from '../../core/index.ts';
import { createIdempotencyGuard, type IdempotencyStore } from '../../http/index.ts';
import { systemClock, type Clock } from '../../lib/index.ts';
import { ACS_FORMAT, serverCallIdOf } from './callback-events.ts';
import type { CallbackJwtSigner } from './callback-jwt.ts';
import { verifyHmac } from './hmac-auth.ts';
import { toIdentifier, toParticipant, toneChar } from './identifiers.ts';
import type { IncomingCallContexts } from './incoming-call-context.ts';

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
}

class AcsError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) { super(message); }
}
const bad = (message: string): AcsError => new AcsError(400, 'BadRequest', message);

declare module 'fastify' {
  interface FastifyRequest { acsRawBody?: string }
}

/** Core CallError → ACS status and code. */
function fromCallError(err: unknown): AcsError | unknown {
  if (!(err instanceof CallError)) return err;
  const t: Record<string, [number, string]> = {
    VALIDATION_FAILED: [400, 'BadRequest'], CALL_NOT_FOUND: [404, 'NotFound'], LEG_NOT_FOUND: [404, 'NotFound'],
    OPERATION_NOT_FOUND: [404, 'NotFound'], INVALID_STATE: [400, 'BadRequest'], DESTINATION_NOT_ALLOWED: [403, 'Forbidden'],
    NOT_CONFIGURED: [501, 'NotSupported'], CLOSED: [503, 'ServiceUnavailable'],
  };
  const [s, c] = t[err.code] ?? [500, 'InternalServerError'];
  return new AcsError(s, c, err.message);
}

export function registerAcsFace(app: FastifyInstance, opts: AcsFaceOptions): void {
  const clock = opts.clock ?? systemClock;
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
  let keyCache: { at: number; keys: { applicationId: string; key: string }[] } | undefined;
  let reading: Promise<{ applicationId: string; key: string }[]> | undefined;
  const allKeys = async (fresh = false): Promise<{ applicationId: string; key: string }[]> => {
    // Short cache: one query per second at most; a revoked key stops working within 1 s.
    if (!fresh && keyCache && clock.now() - keyCache.at < 1000) return keyCache.keys;
    // Single flight: concurrent requests share one read.
    reading ??= (async () => {
      try {
        const t = need(opts.tenancy(), 'tenancy');
        const at = clock.now();
        const keys = await t.acs.allActiveKeys();
        keyCache = { at, keys };
        return keys;
      } finally {
        reading = undefined;
      }
    })();
    return reading;
  };

  const auth = async (request: FastifyRequest): Promise<void> => {
    const check = (keys: { applicationId: string; key: string }[]) => verifyHmac({ method: request.method, pathAndQuery: request.url, headers: request.headers as Record<string, string>, body: request.acsRawBody ?? '' },
      keys.map((k) => k.key), { now: clock.now(), ...(opts.maxSkewMs !== undefined ? { maxSkewMs: opts.maxSkewMs } : {}) });
    let keys = await allKeys();
    let r = check(keys);
    // A key issued since the cache was filled works at once: on a signature mismatch the keys
    // are reread (one shared read for concurrent mismatches; a request with a bad signature
    // costs one indexed query, like any authenticated request without the cache).
    if (!r.ok && r.failure !== 'STALE_DATE') {
      keys = await allKeys(true);
      r = check(keys);
    }
    if (!r.ok) {
      const why = r.failure === 'STALE_DATE' ? 'The request date (x-ms-date) is outside the allowed clock skew.' : 'Denied by the HMAC authentication: the signature does not match.';
      throw new AcsError(401, r.failure === 'STALE_DATE' ? 'RequestDateOutOfRange' : 'Unauthorized', why);
    }
    request.principal = applicationPrincipal(keys[r.keyIndex].applicationId);
  };

  void app.register(async (api) => {
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
      (req as FastifyRequest).acsRawBody = body as string;
      try {
        done(null, (body as string).length ? JSON.parse(body as string) : {});
      } catch {
        done(bad('The body is not valid JSON.'), undefined);
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
  const principalOf = (r: FastifyRequest) => r.principal!;
  const participant = (raw: unknown, what: string): Participant => {
    const p = toParticipant(raw, sipDomain);
    if ('problem' in p) throw bad(`${what}: ${p.problem}`);
    return p;
  };

  const properties = async (request: FastifyRequest, callId: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> => {
    const v = await calls().get(principalOf(request), callId);
    const state = v.state === 'established' ? 'connected' : v.state === 'ending' ? 'disconnecting' : v.state === 'ended' ? 'disconnected' : 'connecting';
    const live = calls().getLive(principalOf(request), callId);
    return {
      callConnectionId: v.id, serverCallId: serverCallIdOf(v.id), correlationId: v.id, callConnectionState: state,
      targets: [toIdentifier((v.direction === "outbound" ? v.to : v.from) as unknown as Participant)],
      ...((v.from as { kind?: string }).kind === "phone" ? { sourceCallerIdNumber: toIdentifier(v.from as unknown as Participant) } : {}),
      ...(live?.callbackUrl ? { callbackUri: live.callbackUrl } : {}),
      ...extra,
    };
  };

  const legFor = (request: FastifyRequest, callId: string, who: unknown): string | undefined => {
    if (who === undefined || who === null) return undefined;
    const p = participant(who, 'targetParticipant');
    const call = calls().getLive(principalOf(request), callId);
    const leg = call && [...call.legs.values()].find((l) => l.live && JSON.stringify(toIdentifier(l.participant)) === JSON.stringify(toIdentifier(p)));
    if (!leg) throw new AcsError(404, 'NotFound', 'The participant is not in the call.');
    return leg.id;
  };

  const run = async (request: FastifyRequest, callId: string, op: string, params: Record<string, unknown>, body: Record<string, unknown>): Promise<void> => {
    await calls().execute(callId, op, params, {
      principal: principalOf(request),
      ...(typeof body.operationContext === 'string' ? { operationContext: body.operationContext } : {}),
      ...(typeof body.operationCallbackUri === 'string' ? { callbackUrl: body.operationCallbackUri } : {}),
    });
  };

  const playSources = (raw: unknown): Record<string, unknown>[] => {
    if (!Array.isArray(raw) || raw.length === 0) throw bad('playSources must list at least one source.');
    return raw.map((s: Record<string, any>) => {
      const kind = String(s?.kind ?? (s?.file ? 'file' : s?.text ? 'text' : s?.ssml ? 'ssml' : '')).toLowerCase();
      if (kind === 'file') return { kind: 'url', url: s.file?.uri };
      if (kind === 'text') return { kind: 'tts', text: s.text?.text, ...(s.text?.voiceName ? { voice: s.text.voiceName } : {}), ...(s.text?.sourceLocale ? { language: s.text.sourceLocale } : {}) };
      if (kind === 'ssml') return { kind: 'tts', ssml: s.ssml?.ssmlText };
      throw bad(`play source kind ${kind} is not file, text or ssml.`);
    });
  };

  const notSupported = (what: string): never => {
    throw new AcsError(501, 'NotSupported', `${what} is not supported by Switchboard yet (see docs/faces/acs.md).`);
  };

  async function dispatch(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const path = request.url.split('?')[0];
    const body = (request.body ?? {}) as Record<string, any>;
    const m = request.method;
    let g: RegExpExecArray | null;
    if (path === '/calling/callConnections' && m === 'POST') {
      const targets = body.targets as unknown[];
      if (!Array.isArray(targets) || targets.length !== 1) throw bad('targets must hold exactly one participant (group calls are not supported yet).');
      if (typeof body.callbackUri !== 'string') throw bad('callbackUri is required.');
      const caller = body.sourceCallerIdNumber ? participant(body.sourceCallerIdNumber, 'sourceCallerIdNumber') : undefined;
      const { call } = await calls().createCall({ target: participant(targets[0], 'targets/0'), ...(caller ? { callerId: caller } : {}), callbackUrl: body.callbackUri },
        { principal: principalOf(request), callbackFormat: ACS_FORMAT, ...(typeof body.operationContext === 'string' ? { operationContext: body.operationContext } : {}) });
      return reply.code(201).send(await properties(request, call.id, { callbackUri: body.callbackUri }));
    }
    if ((g = /^\/calling\/callConnections:(answer|redirect|reject|connect)$/.exec(path)) && m === 'POST') {
      if (g[1] === 'connect') return notSupported('connect (call locators)');
      const callId = opts.contexts.open(body.incomingCallContext, (principalOf(request) as { applicationId: string }).applicationId);
      if (!callId) throw bad('incomingCallContext is invalid or expired.');
      const call = calls().getLive(principalOf(request), callId);
      if (!call) throw new AcsError(404, 'NotFound', 'The incoming call is gone.');
      if (g[1] === 'answer') {
        if (typeof body.callbackUri !== 'string') throw bad('callbackUri is required.');
        call.journal.directTo(body.callbackUri, ACS_FORMAT);
        await run(request, callId, 'answer', {}, body);
        return reply.code(200).send(await properties(request, callId, { callbackUri: body.callbackUri }));
      }
      if (g[1] === 'redirect') {
        const t = participant(body.target, 'target');
        await run(request, callId, 'redirect', { targets: [t.kind === 'phone' ? `tel:${t.number}` : t.kind === 'sip' ? t.uri : notSupported('this redirect target')] }, body);
        return reply.code(204).send();
      }
      const reason = String(body.callRejectReason ?? 'none').toLowerCase();
      await run(request, callId, 'reject', { reason: ['busy', 'forbidden'].includes(reason) ? reason : 'none' }, body);
      return reply.code(204).send();
    }
    if ((g = /^\/calling\/callConnections\/([^/:]+)$/.exec(path))) {
      const id = decodeURIComponent(g[1]);
      if (m === 'GET') return properties(request, id);
      if (m === 'DELETE') {
        await run(request, id, 'hangup', { forEveryone: true }, {});
        return reply.code(204).send();
      }
    }
    if ((g = /^\/calling\/callConnections\/([^/:]+)\/participants(?:\/(.+))?$/.exec(path)) && m === 'GET') {
      const id = decodeURIComponent(g[1]);
      const v = await calls().get(principalOf(request), id);
      const list = v.legs.filter((l) => l.state !== 'ended').map((l) => ({ identifier: toIdentifier(l.participant as unknown as Participant), isMuted: false, isOnHold: false }));
      if (g[2] === undefined) return { value: list };
      const raw = decodeURIComponent(g[2]);
      const one = list.find((p) => p.identifier.rawId === raw);
      if (!one) throw new AcsError(404, 'NotFound', 'The participant is not in the call.');
      return one;
    }
    if ((g = /^\/calling\/callConnections\/([^/:]+)(?:\/participants)?:(\w+)$/.exec(path)) && m === 'POST') {
      const id = decodeURIComponent(g[1]);
      const action = g[2];
      const ctx = typeof body.operationContext === 'string' ? { operationContext: body.operationContext } : {};
      switch (action) {
        case 'terminate':
          await run(request, id, 'hangup', { forEveryone: true }, body);
          return reply.code(204).send();
        case 'transferToParticipant':
          await run(request, id, 'transferBlind', { target: participant(body.targetParticipant, 'targetParticipant') }, body);
          return reply.code(202).send(ctx);
        case 'play': {
          const playTo = Array.isArray(body.playTo) && body.playTo.length > 0 ? body.playTo : undefined;
          if (playTo && playTo.length > 1) notSupported('playTo with more than one participant');
          const legId = playTo ? legFor(request, id, playTo[0]) : undefined;
          await run(request, id, 'play', { sources: playSources(body.playSources), loop: body.playOptions?.loop === true, ...(legId ? { legId } : { toAll: true }) }, body);
          return reply.code(202).send();
        }
        case 'recognize': {
          const type = String(body.recognizeInputType ?? '').toLowerCase();
          const o = (body.recognizeOptions ?? {}) as Record<string, any>;
          if (type === 'speech') notSupported('free-form speech recognition (use choices)');
          const mode = type === 'dtmf' ? 'dtmf' : type === 'choices' ? 'speech' : type === 'speechordtmf' ? 'speechOrDtmf' : undefined;
          if (!mode) throw bad('recognizeInputType must be dtmf, choices, speech or speechOrDtmf.');
          const prompts = body.playPrompts ?? (body.playPrompt ? [body.playPrompt] : undefined);
          const stop = Array.isArray(o.dtmfOptions?.stopTones) ? (o.dtmfOptions.stopTones as unknown[]).map(toneChar).join('') : '';
          const legId = legFor(request, id, o.targetParticipant);
          await run(request, id, 'recognize', {
            mode,
            ...(o.dtmfOptions?.maxTonesToCollect !== undefined ? { maxTones: o.dtmfOptions.maxTonesToCollect } : {}),
            ...(stop ? { stopTones: stop } : {}),
            ...(o.dtmfOptions?.interToneTimeoutInSeconds !== undefined ? { interToneTimeoutMs: Math.round(o.dtmfOptions.interToneTimeoutInSeconds * 1000) } : {}),
            ...(o.initialSilenceTimeoutInSeconds !== undefined ? { initialSilenceTimeoutMs: Math.max(100, Math.round(o.initialSilenceTimeoutInSeconds * 1000)) } : {}),
            ...(prompts ? { prompt: playSources(prompts) } : {}),
            bargeIn: o.interruptPrompt !== false,
            ...(mode !== 'dtmf' ? { choices: (o.choices ?? []).map((c: any) => ({ label: c.label, phrases: c.phrases })) } : {}),
            ...(legId ? { legId } : {}),
          }, body);
          return reply.code(202).send();
        }
        case 'sendDtmfTones': {
          const tones = (Array.isArray(body.tones) ? body.tones : []).map(toneChar);
          if (tones.length === 0 || tones.includes(undefined)) throw bad('tones must be ACS tone names (zero … nine, a … d, pound, asterisk).');
          const legId = legFor(request, id, body.targetParticipant);
          await run(request, id, 'sendDtmf', { tones: tones.join(''), ...(legId ? { legId } : {}) }, body);
          return reply.code(202).send(ctx);
        }
        case 'cancelAllMediaOperations':
          await run(request, id, 'cancelAllMediaOperations', {}, body);
          return reply.code(202).send();
        case 'startContinuousDtmfRecognition':
        case 'stopContinuousDtmfRecognition': {
          const call = calls().getLive(principalOf(request), id);
          if (!call) throw new AcsError(404, 'NotFound', `no call ${id}`);
          // Core's flag: every digit becomes a dtmf.received event (→ ContinuousDtmfRecognitionToneReceived).
          call.continuousDtmf = action === 'startContinuousDtmfRecognition';
          return reply.code(200).send();
        }
        case 'remove': {
          const legId = legFor(request, id, body.participantToRemove);
          await run(request, id, 'hangup', { forEveryone: false, ...(legId ? { legId } : {}) }, body);
          return reply.code(202).send(ctx);
        }
        case 'hold': case 'unhold': case 'add': case 'mute': case 'cancelAddParticipant': case 'moveHere':
        case 'startMediaStreaming': case 'stopMediaStreaming': case 'startTranscription': case 'stopTranscription': case 'updateTranscription':
          return notSupported(action);
      }
    }
    if (path.startsWith('/calling/recordings')) return notSupported('recording through the ACS face');
    throw new AcsError(404, 'NotFound', `No ACS route for ${m} ${path}`);
  }
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new AcsError(503, 'ServiceUnavailable', `The server is starting (${what} not ready).`);
  return v;
}
