// The HTTP layer's public face: the app factory, the error catalog and the auth helpers
// that faces build on.
export { buildHttpApp, type HttpAppOptions } from './app.ts';
export { ERROR_CATALOG, HttpError, httpError, errorBody, codeForStatus, type ErrorCode, type ErrorBody } from './errors.ts';
export { hasAdminKey, requireAdminKey } from './admin-auth.ts';
export type { ReadinessProbe, ReadinessReport } from './health-routes.ts';
export { apiKeyAuth, principalOf, requireAdmin, type ApiKeyAuthOptions } from './api-key-auth.ts';
export { registerOpenApi, type OpenApiOptions } from './openapi.ts';
export {
  createIdempotencyGuard, defaultIdempotencyScope, readRequestIdHeaders, parseImfFixdate, MAX_IDEMPOTENCY_KEY_LENGTH,
  type IdempotencyGuard, type IdempotencyGuardOptions, type IdempotencyRecord, type IdempotencyStore, type StoredResponse,
  type RequestIdHeaders,
} from './idempotency/index.ts';
