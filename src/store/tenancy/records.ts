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

export interface ApplicationRecord {
  id: string;
  name: string;
  callbackUrl: string | null;
  /** Active signing secrets, current first (one or two). */
  webhookSecrets: string[];
  limits: ApplicationLimits;
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
