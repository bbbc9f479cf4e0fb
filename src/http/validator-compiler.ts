// The validator factory of every Switchboard HTTP app: Fastify's own Ajv compiler, twice.
//
// Why: Fastify's default Ajv options include `coerceTypes: 'array'`, which is right for the
// query string and path params (they arrive as text: `?limit=10`, `/calls/:id`) but wrong for a
// JSON body, where the client already chose a type. With coercion on, `{"name": 12345}` named an
// application "12345", `{"loop": "true"}` passed as a boolean and `null` became "" or 0. Bad input
// must get a VALIDATION_FAILED instead (docs/errors.md "Hostile input"), so:
//
//   httpPart 'body'                         → Ajv with coerceTypes: false
//   querystring, params, headers, and the
//   on-demand request.compileValidationSchema
//   (httpPart unknown)                      → Ajv with Fastify's defaults (coerceTypes: 'array')
//
// Everything else (useDefaults, removeAdditional as the app sets it, allErrors, ajv-formats, shared
// schemas from addSchema) is exactly what Fastify configures, because both halves are built by the
// same @fastify/ajv-compiler Fastify uses by default. It is Fastify's dependency, not ours, so it is
// loaded from Fastify's own location (createRequire), the way Fastify's schema controller loads it;
// no package.json entry is added for it.
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

/** Fastify's `schemaController.compilersFactory.buildValidator` type. */
type FastifyBuildValidator = NonNullable<
  NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']
>;

/** What Fastify hands a validator compiler for one schema (fastify/lib/validation.js, FastifyRouteSchemaDef). */
interface RouteSchemaDef {
  schema: unknown;
  method: string;
  url: string;
  httpPart?: string | null;
  contentType?: string;
}
/** Fastify's `ajv` server option as it reaches buildValidator. */
interface AjvServerOptions {
  customOptions?: Record<string, unknown>;
  plugins?: unknown[];
}
type ValidatorCompiler = (def: RouteSchemaDef) => (data: unknown) => unknown;
type BuildValidator = (externalSchemas: Record<string, unknown>, ajvOptions?: AjvServerOptions) => ValidatorCompiler;

const fastifyRequire = createRequire(createRequire(import.meta.url).resolve('fastify'));
const ajvCompiler = fastifyRequire('@fastify/ajv-compiler') as () => BuildValidator;

/**
 * A `schemaController.compilersFactory.buildValidator` for Fastify: body schemas are compiled
 * without type coercion, every other part keeps Fastify's default coercion. Each returned builder
 * keeps its own Ajv pools, so one app's schemas never leak into another's.
 */
export function buildPartAwareValidator(): FastifyBuildValidator {
  const coercing = ajvCompiler();
  const strict = ajvCompiler();
  const build: BuildValidator = (externalSchemas, ajvOptions) => {
    const forParams = coercing(externalSchemas, ajvOptions);
    const forBody = strict(externalSchemas, {
      ...ajvOptions,
      customOptions: { ...ajvOptions?.customOptions, coerceTypes: false },
    });
    return (def) => (def.httpPart === 'body' ? forBody(def) : forParams(def));
  };
  // @fastify/ajv-compiler's published type describes the inner compiler as taking a bare schema,
  // while Fastify (and the compiler's own JS) pass the route-schema def typed above.
  return build as unknown as FastifyBuildValidator;
}
