// What the tenancy services return: the stored records minus their secrets. Secrets (API
// keys, webhook secrets, SIP and trunk passwords) leave core only where a caller must see
// them once (a new key, a rotated secret) or where a protocol needs them (digest, signing).
import type {
  ApiKeyRecord, ApplicationCallHandling, ApplicationLimits, ApplicationRecord, CallerIdRule, NumberKind, NumberRecord, NumberTargetType,
  SipUserRecord, TrunkRecord, TrunkRegistrationRecord, TrunkRegistrationState, TrunkTransport,
} from '../../store/index.ts';

export interface Application {
  id: string;
  name: string;
  callbackUrl: string | null;
  limits: ApplicationLimits;
  /** Call handling as set; {} = every default (see ApplicationCallHandling for them). */
  callHandling: ApplicationCallHandling;
  createdAt: number;
  updatedAt: number;
}

export interface ApiKeyInfo {
  id: string;
  applicationId: string;
  /** The key's first characters, to tell keys apart; never enough to use it. */
  prefix: string;
  source: 'api' | 'config';
  createdAt: number;
  revokedAt: number | null;
}

export interface NumberRoute {
  id: string;
  applicationId: string | null;
  number: string;
  kind: NumberKind;
  routeTo: { type: NumberTargetType; target: string | null };
  createdAt: number;
  updatedAt: number;
}

export interface Trunk {
  id: string;
  applicationId: string | null;
  name: string;
  host: string;
  port: number;
  transport: TrunkTransport;
  username: string | null;
  /** Whether a password is stored (the password itself is never returned). */
  hasPassword: boolean;
  register: boolean;
  inboundSources: string[];
  callerIdRules: CallerIdRule[];
  codecs: string[];
  /**
   * The carrier registration of a trunk with register: true, as the node running it last
   * wrote it (server/trunk-registrations.ts); absent while none has been attempted yet.
   */
  registration?: TrunkRegistrationStatus;
  createdAt: number;
  updatedAt: number;
}

/** A trunk's REGISTER binding at its carrier. */
export interface TrunkRegistrationStatus {
  state: TrunkRegistrationState;
  /** SIP status of the last failure (503 for a transport error or timeout); null after success. */
  lastStatus: number | null;
  lastError: string | null;
  registeredAt: number | null;
  /** When the granted binding runs out (ms since the epoch); the node refreshes at half-time. */
  expiresAt: number | null;
  updatedAt: number;
}

export interface SipUser {
  id: string;
  applicationId: string | null;
  username: string;
  /** 'password' or 'ha1': which credential is stored (never the credential). */
  credential: 'password' | 'ha1';
  createdAt: number;
  updatedAt: number;
}

export function applicationView(r: ApplicationRecord): Application {
  return { id: r.id, name: r.name, callbackUrl: r.callbackUrl, limits: r.limits, callHandling: r.callHandling ?? {}, createdAt: r.createdAt, updatedAt: r.updatedAt };
}

export function apiKeyView(r: ApiKeyRecord): ApiKeyInfo {
  return { id: r.id, applicationId: r.applicationId, prefix: r.prefix, source: r.source, createdAt: r.createdAt, revokedAt: r.revokedAt };
}

export function numberView(r: NumberRecord): NumberRoute {
  return {
    id: r.id, applicationId: r.applicationId, number: r.pattern, kind: r.kind,
    routeTo: { type: r.targetType, target: r.target }, createdAt: r.createdAt, updatedAt: r.updatedAt,
  };
}

export function trunkView(r: TrunkRecord, reg?: TrunkRegistrationRecord): Trunk {
  const { password, ...rest } = r;
  const registration = reg && r.register ? (({ trunkId: _t, ...status }) => status)(reg) : undefined;
  return { ...rest, hasPassword: password !== null, ...(registration ? { registration } : {}) };
}

export function sipUserView(r: SipUserRecord): SipUser {
  return {
    id: r.id, applicationId: r.applicationId, username: r.username,
    credential: r.password !== null ? 'password' : 'ha1', createdAt: r.createdAt, updatedAt: r.updatedAt,
  };
}
