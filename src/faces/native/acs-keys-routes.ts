// /v1/applications/:id/acs-keys and /acs-incoming-call-url: the operator (admin key) manages
// the ACS access keys an Azure Call Automation bot signs its requests with (src/faces/acs,
// HMAC per vendor-apis.md A.10) and the Event Grid URL IncomingCall is posted to. Several
// keys may be active at once, so a bot moves to a new key before the old one is revoked.
// Unlike API keys (hashed), ACS keys are shown by list too: HMAC verification needs the key
// itself, so the store holds it and hiding it would protect nothing from the admin.
import type { FastifyInstance } from 'fastify';
import { principalOf, requireAdmin } from '../../http/index.ts';
import type { NativeApiContext } from './context.ts';
import { errorResponses, idParams, listOf } from './schemas.ts';
import { mapErrors } from './tenancy-errors.ts';

const tags = ['applications'];
const acsKeySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, applicationId: { type: 'string' },
    key: { type: 'string', description: 'base64; the connection string is endpoint=<base>/;accesskey=<key>' },
    createdAt: { type: 'integer', description: 'ms since epoch' },
    revokedAt: { type: ['integer', 'null'], description: 'ms since epoch; null = active' },
  },
  required: ['id', 'applicationId', 'key', 'createdAt', 'revokedAt'],
} as const;
const keyParams = {
  type: 'object', properties: { id: { type: 'string', maxLength: 100 }, keyId: { type: 'string', maxLength: 100 } }, required: ['id', 'keyId'],
} as const;
const createBody = {
  type: ['object', 'null'], additionalProperties: false,
  properties: { key: { type: 'string', maxLength: 200, description: 'a literal key (base64, ≥ 16 bytes); default: 32 random bytes' } },
} as const;
const urlSchema = {
  type: 'object', additionalProperties: false,
  properties: { url: { type: ['string', 'null'], maxLength: 2000, description: 'http(s) URL; null = no IncomingCall events' } },
  required: ['url'],
} as const;

type IdReq = { Params: { id: string } };
type KeyReq = { Params: { id: string; keyId: string } };

export function registerAcsKeyRoutes(app: FastifyInstance, ctx: NativeApiContext): void {
  const pre = { preHandler: ctx.auth };

  app.get<IdReq>('/v1/applications/:id/acs-keys', {
    ...pre, schema: { tags, summary: 'List an application\'s ACS access keys, revoked ones included (admin)', params: idParams, response: { 200: listOf(acsKeySchema), ...errorResponses } },
  }, mapErrors(async (req) => {
    requireAdmin(req);
    return { items: await ctx.tenancy().acs.list(principalOf(req), req.params.id) };
  }));

  app.post<IdReq & { Body: { key?: string } | null }>('/v1/applications/:id/acs-keys', ctx.idempotent({
    ...pre, schema: { tags, summary: 'Issue an ACS access key (admin); several may be active at once', params: idParams, body: createBody, response: { 201: acsKeySchema, ...errorResponses } },
  }), mapErrors(async (req, reply) => {
    requireAdmin(req);
    return reply.code(201).send(await ctx.tenancy().acs.issue(principalOf(req), req.params.id, req.body?.key));
  }));

  app.delete<KeyReq>('/v1/applications/:id/acs-keys/:keyId', {
    ...pre, schema: { tags, summary: 'Revoke an ACS access key (admin); refused within about a second', params: keyParams, response: { 204: { type: 'null' }, ...errorResponses } },
  }, mapErrors(async (req, reply) => {
    requireAdmin(req);
    // An unknown or already revoked key: core's ACS_KEY_NOT_FOUND, carried by mapErrors like every code.
    await ctx.tenancy().acs.revoke(principalOf(req), req.params.id, req.params.keyId);
    return reply.code(204).send();
  }));

  app.get<IdReq>('/v1/applications/:id/acs-incoming-call-url', {
    ...pre, schema: { tags, summary: 'Where IncomingCall Event Grid events go (admin)', params: idParams, response: { 200: urlSchema, ...errorResponses } },
  }, mapErrors(async (req) => {
    requireAdmin(req);
    await ctx.tenancy().applications.get(principalOf(req), req.params.id);
    return { url: await ctx.tenancy().acs.incomingCallUrl(req.params.id) };
  }));

  // Partial: the Event Grid validation handshake is not run on set (the URL is stored as is).
  app.put<IdReq & { Body: { url: string | null } }>('/v1/applications/:id/acs-incoming-call-url', {
    ...pre, schema: { tags, summary: 'Set or clear where IncomingCall Event Grid events go (admin)', params: idParams, body: urlSchema, response: { 200: urlSchema, ...errorResponses } },
  }, mapErrors(async (req) => {
    requireAdmin(req);
    await ctx.tenancy().acs.setIncomingCallUrl(principalOf(req), req.params.id, req.body.url);
    return { url: req.body.url };
  }));
}
