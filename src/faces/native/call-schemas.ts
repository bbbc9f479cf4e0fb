// JSON Schemas of the native API's call resources: calls, call actions, operations,
// recordings, CDRs and replayed events. Request schemas mirror the rules of core's operations
// (src/core/operations/*.ts validate()) — ranges, enums, patterns — so most mistakes are
// caught and documented here; core checks again (cross-field rules such as "tts needs exactly
// one of text or ssml") and its issues come back as the same VALIDATION_FAILED with details.
import { errorResponses } from './schemas.ts';

const nullable = (type: string, extra: object = {}): object => ({ type: [type, 'null'], ...extra });
const ms = { type: 'integer', description: 'ms since the epoch' };
const msOrNull = nullable('integer', { description: 'ms since the epoch' });
const DTMF = '^[0-9*#A-D]+$';

// ---- participants (core's Participant) -------------------------------------------------
const participantVariants = [
  { type: 'object', properties: { kind: { const: 'phone' }, number: { type: 'string', pattern: '^\\+\\d{1,15}$', description: 'E.164' } }, required: ['kind', 'number'], additionalProperties: false },
  { type: 'object', properties: { kind: { const: 'sip' }, uri: { type: 'string', maxLength: 512, pattern: '^sips?:', description: 'sip:user@host (also a registered SIP user of this node)' } }, required: ['kind', 'uri'], additionalProperties: false },
  { type: 'object', properties: { kind: { const: 'webrtc' }, user: { type: 'string', minLength: 1, maxLength: 128 } }, required: ['kind', 'user'], additionalProperties: false },
  { type: 'object', properties: { kind: { const: 'application' }, applicationId: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['kind', 'applicationId'], additionalProperties: false },
];
export const participantInput = { oneOf: participantVariants } as const;
/** Outbound destinations: an application is not dialable. */
const dialTarget = { oneOf: participantVariants.slice(0, 3) } as const;

export const participantSchema = {
  type: 'object',
  properties: { kind: { type: 'string' }, number: { type: 'string' }, uri: { type: 'string' }, user: { type: 'string' }, applicationId: { type: 'string' } },
  required: ['kind'],
} as const;

// ---- play sources (core's PlaySource) ---------------------------------------------------
const playSource = {
  oneOf: [
    { type: 'object', properties: { kind: { const: 'file' }, path: { type: 'string', minLength: 1, maxLength: 1024, description: 'relative to the node\'s media directory; no ..' } }, required: ['kind', 'path'], additionalProperties: false },
    { type: 'object', properties: { kind: { const: 'url' }, url: { type: 'string', pattern: '^https?://', maxLength: 2048 } }, required: ['kind', 'url'], additionalProperties: false },
    {
      type: 'object',
      properties: {
        kind: { const: 'tts' }, text: { type: 'string', maxLength: 4000 }, ssml: { type: 'string', maxLength: 4000 },
        voice: { type: 'string', maxLength: 64 }, language: { type: 'string', maxLength: 35 },
      },
      required: ['kind'], additionalProperties: false, description: 'exactly one of text or ssml',
    },
    {
      type: 'object',
      properties: {
        kind: { const: 'tone' }, frequencies: { type: 'array', items: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 4000 }, minItems: 1, maxItems: 4 },
        durationMs: { type: 'integer', minimum: 1, maximum: 60000 },
      },
      required: ['kind', 'frequencies', 'durationMs'], additionalProperties: false,
    },
    { type: 'object', properties: { kind: { const: 'silence' }, durationMs: { type: 'integer', minimum: 1, maximum: 60000 } }, required: ['kind', 'durationMs'], additionalProperties: false },
  ],
} as const;
const playSources = { type: 'array', items: playSource, minItems: 1, maxItems: 20 } as const;

// ---- fields every action and the create call accept ------------------------------------
export const commonActionProps = {
  operationContext: { type: 'string', maxLength: 2048, description: 'echoed in the operation and its events; also accepted as the Operation-Context header; default none' },
  callbackUrl: { type: 'string', pattern: '^https?://', maxLength: 2048, description: 'where this operation\'s events go; default the call\'s / application\'s' },
} as const;
const legId = { type: 'string', maxLength: 100, description: 'one leg of the call; default the primary leg' };

function body(properties: Record<string, unknown>, required: string[] = []): object {
  return { type: 'object', properties: { ...properties, ...commonActionProps }, required, additionalProperties: false };
}

/** Body of each call action, by URL segment; values are core operation params + common fields. */
export const actionBodies: Record<string, object> = {
  answer: body({}),
  reject: body({ reason: { type: 'string', enum: ['busy', 'forbidden', 'none'], description: 'default none (480)' } }),
  redirect: body({ targets: { type: 'array', items: { type: 'string', pattern: '^(sips?|tel):', maxLength: 512 }, minItems: 1, maxItems: 10 } }, ['targets']),
  hangup: body({ forEveryone: { type: 'boolean', description: 'default true: end the call; false: drop only legId' }, legId }),
  play: body({
    sources: playSources, loop: { type: 'boolean', description: 'default false' }, bargeIn: { type: 'boolean', description: 'default false' },
    legId, toAll: { type: 'boolean', description: 'default false: the primary leg only' },
  }, ['sources']),
  recognize: body({
    mode: { type: 'string', enum: ['dtmf', 'speech', 'speechOrDtmf'], description: 'default dtmf' },
    maxTones: { type: 'integer', minimum: 1, maximum: 32, description: 'default 1' },
    stopTones: { type: 'string', pattern: DTMF, maxLength: 16, description: 'default none' },
    interToneTimeoutMs: { type: 'integer', minimum: 100, maximum: 60000, description: 'default 2000' },
    initialSilenceTimeoutMs: { type: 'integer', minimum: 100, maximum: 300000, description: 'default 5000' },
    prompt: playSources, bargeIn: { type: 'boolean', description: 'default true' },
    choices: {
      type: 'array', minItems: 1, maxItems: 50, description: 'speech modes: the phrases to match; default none = free-form (recognize.completed {speech, confidence}, docs/speech.md)',
      items: { type: 'object', properties: { label: { type: 'string', maxLength: 128 }, phrases: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 256 }, minItems: 1, maxItems: 50 } }, required: ['label', 'phrases'], additionalProperties: false },
    },
    legId,
  }),
  'record-response': body({
    prompt: playSources, bargeIn: { type: 'boolean', description: 'default true' }, beep: { type: 'boolean', description: 'default true' },
    initialSilenceTimeoutMs: { type: 'integer', minimum: 500, maximum: 60000, description: 'default 5000' },
    endSilenceTimeoutMs: { type: 'integer', minimum: 200, maximum: 60000, description: 'default 2000' },
    maxDurationMs: { type: 'integer', minimum: 1000, maximum: 120000, description: 'default 60000' },
    stopTones: { type: 'string', pattern: DTMF, maxLength: 16, description: 'default #' },
    format: { type: 'string', enum: ['wav'], description: 'default wav' }, legId,
  }),
  'send-dtmf': body({
    tones: { type: 'string', pattern: DTMF, minLength: 1, maxLength: 32 },
    durationMs: { type: 'integer', minimum: 40, maximum: 2000, description: 'default 100' }, legId,
  }, ['tones']),
  transfer: body({
    target: dialTarget, useRefer: { type: 'boolean', description: 'default true: REFER the peer when it accepts, else bridge a new leg' },
    ringTimeoutMs: { type: 'integer', minimum: 1000, maximum: 300000, description: 'default 60000' }, legId,
  }, ['target']),
  'transfer-consultative': body({
    targetCallId: { type: 'string', maxLength: 100, description: 'a live call of this application whose primary leg is the consultation leg; or targetLegId' },
    targetLegId: { type: 'string', maxLength: 100, description: 'a leg of this call that is the consultation leg; or targetCallId' },
    useRefer: { type: 'boolean', description: 'default true: REFER with Replaces when possible, else bridge' }, legId,
  }),
  recordings: body({
    channels: { type: 'integer', minimum: 1, maximum: 2, description: 'default 1 (mixed); 2 = one channel per direction' },
    format: { type: 'string', enum: ['wav'], description: 'default wav' }, legId,
  }),
  'cancel-media': body({}),
  participants: body({
    target: dialTarget, callerId: participantInput,
    ringTimeoutMs: { type: 'integer', minimum: 1000, maximum: 300000, description: 'invitation timeout; default 60000' },
    invitationId: { type: 'string', minLength: 1, maxLength: 128, description: 'handle for participants/cancel; default the operation id' },
  }, ['target']),
  'participants/cancel': body({ invitationId: { type: 'string', minLength: 1, maxLength: 128 } }, ['invitationId']),
  'participants/move': body({ fromCallId: { type: 'string', minLength: 1, maxLength: 100 }, legId: { type: 'string', minLength: 1, maxLength: 100 } }, ['fromCallId', 'legId']),
  hold: body({ legId, music: { ...playSources, description: 'played in a loop while held; default a quiet 440 Hz beep every 2 s' } }),
  unhold: body({ legId }),
  'media-streaming': body({
    url: { type: 'string', pattern: '^wss?://', maxLength: 2048, description: 'the application\'s WebSocket server' },
    format: { type: 'string', enum: ['native', 'acs'], description: 'framing; default native (docs/streaming.md)' },
    rate: { type: 'integer', enum: [16000, 24000], description: 'PCM 16-bit mono sample rate; default 16000' },
    channels: { type: 'string', enum: ['mixed', 'unmixed'], description: 'default mixed; unmixed = one stream per leg, tagged with its participant' },
    bidirectional: { type: 'boolean', description: 'default false: audio the application sends back is played into the call' },
    dtmf: { type: 'boolean', description: 'default false: forward digits heard on the call' },
    legId,
  }, ['url']),
  'media-streaming/stop': body({}),
  'continuous-dtmf': body({
    legId: { ...legId, description: 'the leg to listen to; default every leg of the call, also legs that join later' },
    tones: { type: 'string', pattern: DTMF, maxLength: 16, description: 'the digits to report; default all' },
  }),
  'continuous-dtmf/stop': body({ legId: { ...legId, description: 'stop only this leg\'s subscription; default every subscription' } }),
  transcription: body({
    url: { type: 'string', pattern: '^wss?://', maxLength: 2048, description: 'the application\'s WebSocket server (first a start message with the locale, then transcript messages)' },
    format: { type: 'string', enum: ['native', 'acs'], description: 'framing; default native (docs/streaming.md)' },
    locale: { type: 'string', maxLength: 35, pattern: '^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$', description: 'BCP 47; default en-US (the only one the local engine has)' },
    legId,
  }, ['url']),
  'transcription/stop': body({}),
  'transcription/update': body({
    locale: { type: 'string', maxLength: 35, pattern: '^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$', description: 'BCP 47' },
  }, ['locale']),
};

/** Body of the per-leg participant actions (mute, unmute, remove): only the common fields. */
export const participantActionBody = body({});

export const stopRecordingBody = body({});

export const createCallBody = {
  type: 'object',
  properties: {
    target: dialTarget,
    callerId: participantInput,
    ringTimeoutMs: { type: 'integer', minimum: 1000, maximum: 300000, description: 'ringing timeout; default 60000' },
    ...commonActionProps,
  },
  required: ['target'],
  additionalProperties: false,
} as const;

// ---- responses ---------------------------------------------------------------------------
const resultSchema = {
  type: 'object',
  properties: { code: { type: 'integer' }, subcode: { type: 'integer' }, message: { type: 'string' } },
  required: ['code', 'subcode', 'message'],
} as const;

export const operationSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, name: { type: 'string' }, callId: { type: 'string' },
    state: { type: 'string', enum: ['running', 'completed', 'failed', 'cancelled'] },
    operationContext: nullable('string'), result: resultSchema,
  },
  required: ['id', 'name', 'callId', 'state', 'operationContext'],
} as const;

const endProps = { endedAt: msOrNull, endReason: nullable('string'), endedBy: nullable('string'), sipStatus: nullable('integer') };

export const legSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, participant: participantSchema, role: { type: 'string' }, direction: { type: 'string' }, state: { type: 'string' },
    createdAt: ms, ringingAt: msOrNull, answeredAt: msOrNull, ...endProps,
    muted: { type: 'boolean', description: 'the others do not hear this leg (participants/{legId}/mute); default false' },
    onHold: { type: 'boolean', description: 'held: out of the conversation, hearing music (participants/{legId}/hold); default false' },
  },
  required: ['id', 'participant', 'role', 'direction', 'state', 'createdAt'],
} as const;

const callProps = {
  id: { type: 'string' }, applicationId: { type: 'string' }, direction: { type: 'string', enum: ['inbound', 'outbound'] },
  state: { type: 'string' }, from: participantSchema, to: participantSchema, callbackUrl: nullable('string'),
  createdAt: ms, ringingAt: msOrNull, answeredAt: msOrNull, ...endProps, updatedAt: ms,
};
const callRequired = ['id', 'applicationId', 'direction', 'state', 'from', 'to', 'createdAt', 'updatedAt'];

export const callSummarySchema = { type: 'object', properties: callProps, required: callRequired } as const;
export const callSchema = { type: 'object', properties: { ...callProps, legs: { type: 'array', items: legSchema } }, required: [...callRequired, 'legs'] } as const;

export const createdCallSchema = {
  type: 'object', properties: { call: callSchema, operation: operationSchema }, required: ['call', 'operation'],
} as const;

export const recordingSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, callId: { type: 'string' }, applicationId: { type: 'string' }, format: { type: 'string' },
    channels: { type: 'integer' }, durationMs: nullable('integer'), sizeBytes: nullable('integer'),
    state: { type: 'string', description: 'recording, paused, completed, stopped or failed' },
    hasAccessToken: { type: 'boolean', description: 'a download token was issued (record-response); the token itself is only in the event' },
    createdAt: ms, updatedAt: ms,
  },
  required: ['id', 'callId', 'applicationId', 'format', 'channels', 'durationMs', 'sizeBytes', 'state', 'hasAccessToken', 'createdAt', 'updatedAt'],
} as const;

const qualitySchema = {
  type: 'object',
  properties: { packetsReceived: { type: 'integer' }, packetsLost: { type: 'integer' }, lossRate: { type: 'number' }, jitterMs: { type: 'number' }, rttMs: { type: 'number' } },
} as const;

/** Call and leg CDRs in one schema (`kind` tells which fields apply). */
export const cdrSchema = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['call', 'leg'] }, callId: { type: 'string' }, legId: { type: 'string' }, applicationId: { type: 'string' },
    direction: { type: 'string' }, from: participantSchema, to: participantSchema, participant: participantSchema, role: { type: 'string' },
    startedAt: ms, ringingAt: ms, answeredAt: ms, endedAt: ms, talkMs: { type: 'integer' },
    endReason: { type: 'string' }, endedBy: { type: 'string' }, sipStatus: { type: 'integer' },
    legIds: { type: 'array', items: { type: 'string' } }, recordingIds: { type: 'array', items: { type: 'string' } },
    tts: { type: 'object', properties: { requests: { type: 'integer' }, characters: { type: 'integer' }, cachedHits: { type: 'integer' } } },
    quality: qualitySchema,
  },
  required: ['kind', 'callId', 'applicationId', 'startedAt', 'endedAt', 'endReason', 'endedBy'],
} as const;

export const eventSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'stable UUID v7; the webhook X-Switchboard-Event-Id' }, type: { type: 'string' },
    applicationId: { type: 'string' }, callId: { type: 'string' }, seq: { type: 'integer', description: 'position within its call' },
    occurredAt: { type: 'string', description: 'ISO 8601 UTC' }, data: { type: 'object', additionalProperties: true },
  },
  required: ['id', 'type', 'applicationId', 'occurredAt', 'data'],
} as const;

/** `{ items, nextCursor? }`: nextCursor is present when there may be more (pass it as `cursor`). */
export function pageOf(item: object): object {
  return {
    type: 'object',
    properties: { items: { type: 'array', items: item }, nextCursor: { type: 'string', description: 'pass as ?cursor= for the next page; absent on the last page' } },
    required: ['items'],
  };
}

const time = { type: 'string', maxLength: 40, description: 'ms since the epoch or an ISO 8601 time' };
export const pageQueryProps = {
  since: { ...time, description: `inclusive lower bound; ${time.description}` },
  until: { ...time, description: `exclusive upper bound; ${time.description}` },
  cursor: { type: 'string', maxLength: 100, description: 'nextCursor of the previous page' },
  limit: { type: 'integer', minimum: 1, maximum: 1000, description: 'page size; default 100' },
} as const;

export const callListQuery = {
  type: 'object',
  properties: {
    ...pageQueryProps,
    state: { type: 'string', maxLength: 200, description: 'one state or a comma-separated list (incoming, ringing, dialing, established, ending, ended …); default any' },
    direction: { type: 'string', enum: ['inbound', 'outbound'], description: 'default both' },
  },
  additionalProperties: false,
} as const;

export const recordingListQuery = {
  type: 'object', properties: { ...pageQueryProps, callId: { type: 'string', maxLength: 100, description: 'only this call\'s recordings' } }, additionalProperties: false,
} as const;

export const cdrListQuery = {
  type: 'object',
  properties: { ...pageQueryProps, kind: { type: 'string', enum: ['call', 'leg'], description: 'default both' }, callId: { type: 'string', maxLength: 100 } },
  additionalProperties: false,
} as const;

export const eventListQuery = {
  type: 'object',
  properties: {
    since: { ...time, description: `events that occurred at or after this time; ${time.description}` },
    after: { type: 'string', maxLength: 100, description: 'events after this event id (wins over since); also the cursor' },
    applicationId: { type: 'string', maxLength: 100, description: 'admin only: one application\'s events; default all' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, description: 'page size; default 100' },
  },
  additionalProperties: false,
} as const;

export const callIdParams = { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] } as const;
export const participantParams = {
  type: 'object', properties: { id: { type: 'string', maxLength: 100 }, legId: { type: 'string', maxLength: 100 } }, required: ['id', 'legId'],
} as const;
export const recordingStopParams = {
  type: 'object', properties: { id: { type: 'string', maxLength: 100 }, rid: { type: 'string', maxLength: 100 } }, required: ['id', 'rid'],
} as const;

export { errorResponses };
