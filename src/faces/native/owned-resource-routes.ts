// /v1/numbers, /v1/trunks and /v1/sip-users share one shape: list, create, get, update,
// delete, each scoped by the caller (admin: everything; application key: only what it owns,
// anything else is 404). This registers that shape for one resource.
import type { FastifyInstance } from 'fastify';
import type { Principal } from '../../core/index.ts';
import { principalOf } from '../../http/index.ts';
import type { NativeApiContext } from './context.ts';
import { errorResponses, idParams, listOf } from './schemas.ts';
import { mapErrors } from './tenancy-errors.ts';

/** The service methods a resource needs; the tenancy services fit it as they are. */
export interface OwnedResourceService<Input, Update, View> {
  list(who: Principal): Promise<View[]>;
  create(who: Principal, input: Input): Promise<View>;
  get(who: Principal, id: string): Promise<View>;
  update(who: Principal, id: string, patch: Update): Promise<View>;
  delete(who: Principal, id: string): Promise<void>;
}

export interface OwnedResourceSpec<Input, Update, View> {
  /** Path under /v1, e.g. 'numbers'. */
  path: string;
  /** Singular for summaries, e.g. 'number'. */
  noun: string;
  service: (ctx: NativeApiContext) => OwnedResourceService<Input, Update, View>;
  schemas: { item: object; create: object; update: object };
}

export function registerOwnedResource<I, U, V>(app: FastifyInstance, ctx: NativeApiContext, spec: OwnedResourceSpec<I, U, V>): void {
  const base = `/v1/${spec.path}`;
  const tags = [spec.path];
  const pre = { preHandler: ctx.auth };
  type IdReq = { Params: { id: string } };

  app.get(base, {
    ...pre, schema: { tags, summary: `List ${spec.path} (admin: all; application key: its own)`, response: { 200: listOf(spec.schemas.item), ...errorResponses } },
  }, mapErrors(async (req) => ({ items: await spec.service(ctx).list(principalOf(req)) })));

  app.post<{ Body: I }>(base, ctx.idempotent({
    ...pre, schema: { tags, summary: `Create a ${spec.noun}`, body: spec.schemas.create, response: { 201: spec.schemas.item, ...errorResponses } },
  }), mapErrors(async (req, reply) => reply.code(201).send(await spec.service(ctx).create(principalOf(req), req.body as I))));

  app.get<IdReq>(`${base}/:id`, {
    ...pre, schema: { tags, summary: `Get a ${spec.noun}`, params: idParams, response: { 200: spec.schemas.item, ...errorResponses } },
  }, mapErrors(async (req) => spec.service(ctx).get(principalOf(req), req.params.id)));

  app.patch<IdReq & { Body: U }>(`${base}/:id`, {
    ...pre, schema: { tags, summary: `Update a ${spec.noun}`, params: idParams, body: spec.schemas.update, response: { 200: spec.schemas.item, ...errorResponses } },
  }, mapErrors(async (req) => spec.service(ctx).update(principalOf(req), req.params.id, req.body as U)));

  app.delete<IdReq>(`${base}/:id`, {
    ...pre, schema: { tags, summary: `Delete a ${spec.noun}`, params: idParams, response: { 204: { type: 'null' }, ...errorResponses } },
  }, mapErrors(async (req, reply) => {
    await spec.service(ctx).delete(principalOf(req), req.params.id);
    return reply.code(204).send();
  }));
}
