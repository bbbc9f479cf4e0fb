// JSON Schemas of the native API's tenancy resources. Fastify validates requests with them
// (ajv, unknown fields rejected) and serializes responses through them (fast-json-stringify:
// a field not declared here never reaches the wire, which keeps secrets out of responses),
// and @fastify/swagger turns them into the OpenAPI 3.1 document.
// Domain rules (E.164 shape, CIDRs, name characters …) are checked again in core, whatever
// the entry point; these schemas catch shape errors early and document the API.

const nullable = (type: string, extra: object = {}): object => ({ type: [type, 'null'], ...extra });
const ms = { type: 'integer', description: 'ms since the epoch' };

export const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string', description: 'stable code, see docs/errors.md' },
        message: { type: 'string' },
        details: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
      },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;

/** 4xx/5xx answers every route documents. */
export const errorResponses = { '4xx': errorSchema, '5xx': errorSchema } as const;

export const idParams = {
  type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'],
} as const;

const limitsProps = {
  maxConcurrentCalls: nullable('integer', { minimum: 0, description: 'null = unlimited' }),
  callsPerSecond: nullable('number', { minimum: 0, description: 'null = unlimited' }),
  allowedDestinationPrefixes: {
    type: 'array', items: { type: 'string', pattern: '^\\+\\d{1,15}$' }, maxItems: 500,
    description: 'E.164 prefixes callable beyond the home country; [] = no international calls',
  },
  recordingRetentionDays: nullable('integer', { minimum: 0, description: 'null = keep until deleted' }),
};

export const limitsSchema = { type: 'object', properties: limitsProps, additionalProperties: false } as const;

/** Application callHandling (docs/calls.md); combinations are checked by core (ApplicationService). */
const callHandlingProps = {
  unansweredTimeoutMs: { type: 'integer', minimum: 1000, maximum: 600000, description: "reject an unanswered inbound call after this long; default the node's (30000)" },
  unansweredStatus: { type: 'integer', enum: [480, 486, 603], description: 'SIP status of that rejection; default 480' },
  limitStatus: { type: 'integer', enum: [486, 503], description: 'SIP status when a limit refuses an inbound call; default 503' },
  webhookFallback: {
    type: 'object',
    description: 'when webhooks fail: {action: hangup} (default), {action: apology, text}, {action: transfer, target}',
    properties: {
      action: { type: 'string', enum: ['hangup', 'apology', 'transfer'] },
      text: { type: 'string', maxLength: 1000 },
      target: { type: 'string', maxLength: 256, description: 'E.164 number or SIP URI' },
    },
    required: ['action'],
    additionalProperties: false,
  },
};
const callHandlingSchema = { type: 'object', properties: callHandlingProps, additionalProperties: false } as const;

export const applicationSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, name: { type: 'string' }, callbackUrl: nullable('string'),
    limits: { type: 'object', properties: limitsProps }, callHandling: { type: 'object', properties: callHandlingProps }, createdAt: ms, updatedAt: ms,
  },
  required: ['id', 'name', 'callbackUrl', 'limits', 'createdAt', 'updatedAt'],
} as const;

export const apiKeyInfoSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, applicationId: { type: 'string' },
    prefix: { type: 'string', description: 'first characters of the key, for display' },
    source: { type: 'string', enum: ['api', 'config'] }, createdAt: ms, revokedAt: nullable('integer'),
  },
  required: ['id', 'applicationId', 'prefix', 'source', 'createdAt', 'revokedAt'],
} as const;

/** A key as issued: the only response that ever carries `key`. */
export const issuedKeySchema = {
  type: 'object',
  properties: { ...apiKeyInfoSchema.properties, key: { type: 'string', description: 'shown once; store it now' } },
  required: [...apiKeyInfoSchema.required, 'key'],
} as const;

export const applicationCreateBody = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 64 },
    callbackUrl: nullable('string', { maxLength: 2048 }),
    limits: limitsSchema,
    callHandling: { ...callHandlingSchema, type: ['object', 'null'], description: 'fields merge on update; null = every default' },
  },
  required: ['name'],
  additionalProperties: false,
} as const;

export const applicationUpdateBody = { ...applicationCreateBody, required: [] } as const;

export const createdApplicationSchema = {
  type: 'object',
  properties: {
    application: applicationSchema,
    apiKey: issuedKeySchema,
    webhookSecrets: { type: 'array', items: { type: 'string' }, description: 'active signing secrets, current first' },
  },
  required: ['application', 'apiKey', 'webhookSecrets'],
} as const;

const targetTypes = ['application', 'robot', 'meeting', 'diagnostic'];
const routeToSchema = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: targetTypes },
    target: nullable('string', { maxLength: 64, description: 'robot, meeting or diagnostic name; absent for application' }),
  },
  required: ['type'],
  additionalProperties: false,
} as const;

export const numberSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, applicationId: nullable('string'), number: { type: 'string' },
    kind: { type: 'string', enum: ['e164', 'e164-prefix', 'sip-uri'] },
    routeTo: { type: 'object', properties: { type: { type: 'string' }, target: nullable('string') } },
    createdAt: ms, updatedAt: ms,
  },
  required: ['id', 'applicationId', 'number', 'kind', 'routeTo', 'createdAt', 'updatedAt'],
} as const;

export const numberCreateBody = {
  type: 'object',
  properties: {
    number: { type: 'string', minLength: 1, maxLength: 256, description: '+4930123456, +4930123* (prefix) or sip:user@host' },
    applicationId: nullable('string', { description: 'owner (admin only); default: the calling application' }),
    routeTo: routeToSchema,
  },
  required: ['number'],
  additionalProperties: false,
} as const;

export const numberUpdateBody = {
  type: 'object', properties: { routeTo: routeToSchema }, required: ['routeTo'], additionalProperties: false,
} as const;

const callerIdRuleSchema = {
  type: 'object',
  properties: {
    matchPrefix: { type: 'string', maxLength: 16 }, set: { type: 'string', maxLength: 64 },
    stripDigits: { type: 'integer', minimum: 0, maximum: 15 }, prepend: { type: 'string', maxLength: 16 },
    withhold: { type: 'boolean' },
  },
  additionalProperties: false,
} as const;

const trunkFields = {
  name: { type: 'string', minLength: 1, maxLength: 64 },
  host: { type: 'string', minLength: 1, maxLength: 253 },
  port: { type: 'integer', minimum: 1, maximum: 65535 },
  transport: { type: 'string', enum: ['udp', 'tcp', 'tls', 'ws', 'wss'] },
  username: nullable('string', { maxLength: 128 }),
  register: { type: 'boolean' },
  inboundSources: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 100 },
  callerIdRules: { type: 'array', items: callerIdRuleSchema, maxItems: 50 },
  codecs: { type: 'array', items: { type: 'string', maxLength: 32 }, minItems: 1, maxItems: 16 },
};

export const trunkSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, applicationId: nullable('string'), ...trunkFields,
    callerIdRules: { type: 'array', items: { type: 'object', properties: callerIdRuleSchema.properties } },
    hasPassword: { type: 'boolean' }, createdAt: ms, updatedAt: ms,
    registration: {
      type: 'object',
      description: 'carrier REGISTER binding of a trunk with register: true; absent until the first attempt',
      properties: {
        state: { type: 'string', enum: ['registering', 'registered', 'failed'] },
        lastStatus: nullable('integer', { description: 'SIP status of the last failure (503: transport error or timeout)' }),
        lastError: nullable('string'), registeredAt: nullable('integer'),
        expiresAt: nullable('integer', { description: 'when the granted binding runs out (ms since the epoch)' }),
        updatedAt: ms,
      },
    },
  },
  required: ['id', 'applicationId', 'name', 'host', 'port', 'transport', 'username', 'hasPassword', 'register',
    'inboundSources', 'callerIdRules', 'codecs', 'createdAt', 'updatedAt'],
} as const;

const trunkWritable = {
  ...trunkFields,
  password: nullable('string', { maxLength: 128, description: 'stored as given; never returned' }),
};

export const trunkCreateBody = {
  type: 'object',
  properties: { ...trunkWritable, applicationId: nullable('string', { description: 'owner (admin only); default: caller, or shared for admin' }) },
  required: ['name', 'host'],
  additionalProperties: false,
} as const;

export const trunkUpdateBody = { type: 'object', properties: trunkWritable, additionalProperties: false } as const;

export const sipUserSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, applicationId: nullable('string'), username: { type: 'string' },
    credential: { type: 'string', enum: ['password', 'ha1'] }, createdAt: ms, updatedAt: ms,
  },
  required: ['id', 'applicationId', 'username', 'credential', 'createdAt', 'updatedAt'],
} as const;

const credentialProps = {
  password: { type: 'string', minLength: 8, maxLength: 128 },
  ha1: { type: 'string', pattern: '^[0-9a-fA-F]{32}$', description: 'hex MD5(username:realm:password)' },
};

export const sipUserCreateBody = {
  type: 'object',
  properties: { username: { type: 'string', minLength: 1, maxLength: 64 }, ...credentialProps, applicationId: nullable('string') },
  required: ['username'],
  additionalProperties: false,
} as const;

export const sipUserUpdateBody = { type: 'object', properties: credentialProps, additionalProperties: false } as const;

/** `{ items: [...] }`: room for paging fields later without breaking clients. */
export function listOf(item: object): object {
  return { type: 'object', properties: { items: { type: 'array', items: item } }, required: ['items'] };
}
