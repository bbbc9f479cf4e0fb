// Turns every failure inside the Fastify app — our HttpErrors, schema validation, Fastify's
// own errors (bad JSON, body too large, unknown route) and unexpected throws — into the one
// error shape of the catalog (errors.ts). Unexpected errors are logged with their stack and
// answered as INTERNAL without detail: a client must never see our internals.
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from '../lib/index.ts';
import { HttpError, codeForStatus, errorBody } from './errors.ts';

export function installErrorHandling(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((err: FastifyError | HttpError | Error, request, reply) => {
    if (err instanceof HttpError) {
      return reply.code(err.statusCode).send(errorBody(err.code, err.message, err.details));
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      const details = fe.validation.map((v) => ({ path: v.instancePath || '/', message: v.message ?? 'invalid' }));
      return reply.code(400).send(errorBody('VALIDATION_FAILED', fe.message, details));
    }
    const status = typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 600 ? fe.statusCode : 500;
    if (status >= 500) {
      logger.error({ err, method: request.method, url: request.url }, 'http request failed');
      return reply.code(status).send(errorBody(codeForStatus(status)));
    }
    // Fastify's client errors (malformed JSON, wrong content type, too large) carry a safe message.
    return reply.code(status).send(errorBody(codeForStatus(status), fe.message));
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBody('NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`));
  });
}
