// What the tenancy repositories hand out and take in: camelCase records with JSON columns
// parsed and booleans as booleans. Core builds its domain objects from these.

export interface ApplicationLimits {
  /** null = unlimited. */
  maxConcurrentCalls: number | null;
  /** null = unlimited. */
  callsPerSecond: number | null;
  /** E.164 prefixes allowed beyond the home country; [] = domestic only. */
  allowedDestinationPrefixes: string[];
  /** null = keep forever. */
  recordingRetentionDays: number | null;
}

/**
 * What the node does with an application's calls when the application does not (migration
 * 0006). Every field is optional; absent = the default named on it. SIP statuses are the
 * operator-facing vocabulary here; core maps them onto its reject reasons.
 */
export interface ApplicationCallHandling {
  /** Reject an inbound call nobody answered after this long; default the node's (30000 ms). */
  unansweredTimeoutMs?: number;
  /** Status of that rejection: 480, 486 or 603; default 480. */
  unansweredStatus?: number;
  /** Status when a limit (concurrent calls, calls per second) refuses an inbound call: 486 or 503; default 503. */
  limitStatus?: number;
  /** When the application's webhooks fail; default { action: 'hangup' }. */
  webhookFallback?: WebhookFallback;
}

/** The webhook-failure fallback: reject, or answer and play an apology, or transfer. */
export type WebhookFallback =
  /** Reject the unanswered call with unansweredStatus. */
  | { action: 'hangup' }
  /** Answer, say `text` (TTS), hang up. */
  | { action: 'apology'; text: string }
  /** Answer and transfer blind to `target` (E.164 number or SIP URI; destination policy applies). */
  | { action: 'transfer'; target: string };

export interface ApplicationRecord {
  id: string;
  name: string;
  callbackUrl: string | null;
  /** Active signing secrets, current first (one or two). */
  webhookSecrets: string[];
  limits: ApplicationLimits;
  /** Unanswered-call, limit and webhook-fallback behaviour; absent = every default. */
  callHandling?: ApplicationCallHandling;
  createdAt: number;
  updatedAt: number;
}

export type ApiKeySource = 'api' | 'config';

export interface ApiKeyRecord {
  id: string;
  applicationId: string;
  hash: string;
  prefix: string;
  source: ApiKeySource;
  createdAt: number;
  revokedAt: number | null;
}

export type NumberKind = 'e164' | 'e164-prefix' | 'sip-uri';
export type NumberTargetType = 'application' | 'robot' | 'meeting' | 'diagnostic';

export interface NumberRecord {
  id: string;
  applicationId: string | null;
  pattern: string;
  kind: NumberKind;
  targetType: NumberTargetType;
  target: string | null;
  createdAt: number;
  updatedAt: number;
}

export type TrunkTransport = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** One caller-ID rewrite, applied to outbound calls whose destination starts with matchPrefix. */
export interface CallerIdRule {
  /** Destination prefix the rule applies to; '' or absent = every call. */
  matchPrefix?: string;
  /** Replace the caller ID with this value. */
  set?: string;
  /** Drop this many leading characters of the caller ID. */
  stripDigits?: number;
  /** Put this in front of the caller ID (after stripping). */
  prepend?: string;
  /** Present the call as anonymous (RFC 3323 Privacy: id). */
  withhold?: boolean;
}

export interface TrunkRecord {
  id: string;
  applicationId: string | null;
  name: string;
  host: string;
  port: number;
  transport: TrunkTransport;
  username: string | null;
  password: string | null;
  register: boolean;
  inboundSources: string[];
  callerIdRules: CallerIdRule[];
  codecs: string[];
  createdAt: number;
  updatedAt: number;
}

export interface SipUserRecord {
  id: string;
  applicationId: string | null;
  username: string;
  password: string | null;
  ha1: string | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * Listing filter: `applicationId: string` = that application's rows only; `null` = rows
 * without an owner; absent = every row (the admin's view).
 */
export interface OwnerFilter {
  applicationId?: string | null;
}
