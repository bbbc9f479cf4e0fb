// OpenAPI 3.1 generated from the route schemas (@fastify/swagger), served at /openapi.json,
// and browsable docs at /docs (@fastify/swagger-ui; its assets ship inside the package, so
// the docs work offline). See docs/adr/0003-openapi.md. Both are public: the document holds
// no secrets, and clients need it before they have a key.
// Routes only appear in the document when they are registered after this plugin, inside a
// plugin of their own (app.register), which is how faces mount their routes.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export interface OpenApiOptions {
  title: string;
  version: string;
  /** Default: none. */
  description?: string;
}

export function registerOpenApi(app: FastifyInstance, opts: OpenApiOptions): void {
  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: opts.title, version: opts.version, description: opts.description },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An application API key or the admin key.' } } },
      security: [{ bearer: [] }],
    },
  });
  void app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: false }, staticCSP: true });
  void app.register(async (instance) => {
    instance.get('/openapi.json', { schema: { hide: true } }, async () => instance.swagger());
  });
}
