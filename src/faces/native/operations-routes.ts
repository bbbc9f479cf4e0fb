// /v1/operations/{id}: where an action's operation stands (running, then its result). Live
// operations come from the CallService's memory, finished ones from the store; another
// application's operation is 404 OPERATION_NOT_FOUND.
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../../http/index.ts';
import { callIdParams, errorResponses, operationSchema } from './call-schemas.ts';
import type { NativeApiContext } from './context.ts';
import { mapErrors } from './tenancy-errors.ts';

export function registerOperationRoutes(app: FastifyInstance, ctx: NativeApiContext): void {
  app.get<{ Params: { id: string } }>('/v1/operations/:id', {
    preHandler: ctx.auth,
    schema: { tags: ['operations'], summary: 'Get an operation: state, result {code, subcode, message}, operationContext', params: callIdParams, response: { 200: operationSchema, ...errorResponses } },
  }, mapErrors(async (req) => ctx.calls().getOperation(principalOf(req), req.params.id)));
}
