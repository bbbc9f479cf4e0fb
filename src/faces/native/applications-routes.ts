// /v1/applications: the operator (admin key) creates and manages applications, their API
// keys and webhook secrets; an application key may read its own application only. A new key
// is in the response body exactly once (creation, key creation, rotation).
import type { FastifyInstance } from 'fastify';
import { principalOf, requireAdmin } from '../../http/index.ts';
import type { ApplicationInput, ApplicationUpdate, IssuedApiKey } from '../../core/index.ts';
import type { NativeApiContext } from './context.ts';
import {
  apiKeyInfoSchema, applicationCreateBody, applicationSchema, applicationUpdateBody, createdApplicationSchema,
  errorResponses, idParams, issuedKeySchema, listOf,
} from './schemas.ts';
import { mapErrors } from './tenancy-errors.ts';

const tags = ['applications'];
const keyParams = {
  type: 'object', properties: { id: { type: 'string', maxLength: 100 }, keyId: { type: 'string', maxLength: 100 } }, required: ['id', 'keyId'],
} as const;

type IdReq = { Params: { id: string } };
type KeyReq = { Params: { id: string; keyId: string } };

function issued(k: IssuedApiKey): object {
  return { ...k.info, key: k.key };
}

export function registerApplicationRoutes(app: FastifyInstance, ctx: NativeApiContext): void {
  const pre = { preHandler: ctx.auth };

  app.get('/v1/applications', {
    ...pre, schema: { tags, summary: 'List applications (admin: all; application key: its own)', response: { 200: listOf(applicationSchema), ...errorResponses } },
  }, mapErrors(async (req) => ({ items: await ctx.tenancy().applications.list(principalOf(req)) })));

  app.post<{ Body: ApplicationInput }>('/v1/applications', ctx.idempotent({
    ...pre, schema: { tags, summary: 'Create an application (admin); returns its first API key once', body: applicationCreateBody, response: { 201: createdApplicationSchema, ...errorResponses } },
  }), mapErrors(async (req, reply) => {
    requireAdmin(req);
    const c = await ctx.tenancy().applications.create(req.body);
    return reply.code(201).send({ application: c.application, apiKey: issued(c.apiKey), webhookSecrets: c.webhookSecrets });
  }));

  app.get<IdReq>('/v1/applications/:id', {
    ...pre, schema: { tags, summary: 'Get an application', params: idParams, response: { 200: applicationSchema, ...errorResponses } },
  }, mapErrors(async (req) => ctx.tenancy().applications.get(principalOf(req), req.params.id)));

  app.patch<IdReq & { Body: ApplicationUpdate }>('/v1/applications/:id', {
    ...pre, schema: { tags, summary: 'Update an application (admin); limits and callHandling merge field by field', params: idParams, body: applicationUpdateBody, response: { 200: applicationSchema, ...errorResponses } },
  }, mapErrors(async (req) => {
    requireAdmin(req);
    return ctx.tenancy().applications.update(req.params.id, req.body);
  }));

  app.delete<IdReq>('/v1/applications/:id', {
    ...pre, schema: { tags, summary: 'Delete an application and everything it owns (admin)', params: idParams, response: { 204: { type: 'null' }, ...errorResponses } },
  }, mapErrors(async (req, reply) => {
    requireAdmin(req);
    await ctx.tenancy().applications.delete(req.params.id);
    return reply.code(204).send();
  }));

  app.get<IdReq>('/v1/applications/:id/api-keys', {
    ...pre, schema: { tags, summary: 'List an application\'s API keys (admin; never the keys themselves)', params: idParams, response: { 200: listOf(apiKeyInfoSchema), ...errorResponses } },
  }, mapErrors(async (req) => {
    requireAdmin(req);
    return { items: await ctx.tenancy().applications.listApiKeys(req.params.id) };
  }));

  app.post<IdReq>('/v1/applications/:id/api-keys', ctx.idempotent({
    ...pre, schema: { tags, summary: 'Issue an additional API key (admin); returned once', params: idParams, response: { 201: issuedKeySchema, ...errorResponses } },
  }), mapErrors(async (req, reply) => {
    requireAdmin(req);
    return reply.code(201).send(issued(await ctx.tenancy().applications.createApiKey(req.params.id)));
  }));

  app.post<KeyReq>('/v1/applications/:id/api-keys/:keyId/rotate', ctx.idempotent({
    ...pre, schema: { tags, summary: 'Replace a key: issue a new one (returned once) and revoke this one (admin)', params: keyParams, response: { 201: issuedKeySchema, ...errorResponses } },
  }), mapErrors(async (req, reply) => {
    requireAdmin(req);
    return reply.code(201).send(issued(await ctx.tenancy().applications.rotateApiKey(req.params.id, req.params.keyId)));
  }));

  app.delete<KeyReq>('/v1/applications/:id/api-keys/:keyId', {
    ...pre, schema: { tags, summary: 'Revoke a key at once (admin)', params: keyParams, response: { 200: apiKeyInfoSchema, ...errorResponses } },
  }, mapErrors(async (req) => {
    requireAdmin(req);
    return ctx.tenancy().applications.revokeApiKey(req.params.id, req.params.keyId);
  }));

  app.post<IdReq>('/v1/applications/:id/webhook-secrets/rotate', ctx.idempotent({
    ...pre,
    schema: {
      tags, summary: 'New webhook signing secret; the previous one stays active until the next rotation (admin)', params: idParams,
      response: { 200: { type: 'object', properties: { webhookSecrets: { type: 'array', items: { type: 'string' } } }, required: ['webhookSecrets'] }, ...errorResponses },
    },
  }), mapErrors(async (req) => {
    requireAdmin(req);
    return { webhookSecrets: await ctx.tenancy().applications.rotateWebhookSecret(req.params.id) };
  }));
}
