// What the tenancy services return: the stored records minus their secrets. Secrets (API
// keys, webhook secrets, SIP and trunk passwords) leave core only where a caller must see
// them once (a new key, a rotated secret) or where a protocol needs them (digest, signing).
import type {
  ApiKeyRecord, ApplicationLimits, ApplicationRecord, CallerIdRule, NumberKind, NumberRecord, NumberTargetType,
  SipUserRecord, TrunkRecord, TrunkTransport,
} from '../../store/index.ts';

export interface Application {
  id: string;
  name: string;
  callbackUrl: string | null;
  limits: ApplicationLimits;
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
  createdAt: number;
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
  return { id: r.id, name: r.name, callbackUrl: r.callbackUrl, limits: r.limits, createdAt: r.createdAt, updatedAt: r.updatedAt };
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

export function trunkView(r: TrunkRecord): Trunk {
  const { password, ...rest } = r;
  return { ...rest, hasPassword: password !== null };
}

export function sipUserView(r: SipUserRecord): SipUser {
  return {
    id: r.id, applicationId: r.applicationId, username: r.username,
    credential: r.password !== null ? 'password' : 'ha1', createdAt: r.createdAt, updatedAt: r.updatedAt,
  };
}
