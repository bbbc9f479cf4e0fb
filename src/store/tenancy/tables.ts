// Kysely table types of the tenancy tables (migration 0002). Conventions as in ../schema.ts:
// ms timestamps in bigint, JSON in text, booleans as integer 0/1 (portable to SQLite).
import type { ColumnType } from 'kysely';

/** An application (tenant): whoever holds one of its API keys drives its calls. */
export interface ApplicationsTable {
  id: string;
  /** Unique; config declarations match on it. */
  name: string;
  /** Default webhook URL; null = none. */
  callback_url: string | null;
  /** Current webhook signing secret. */
  webhook_secret: string;
  /** The secret before the last rotation, still accepted by receivers until the next one. */
  webhook_secret_previous: string | null;
  /** null = unlimited. */
  max_concurrent_calls: number | null;
  /** null = unlimited. */
  calls_per_second: number | null;
  /** JSON array of E.164 prefixes ("+44", "+1") allowed beyond the home country. */
  allowed_destination_prefixes: string;
  /** JSON ApplicationCallHandling (migration 0006); null = every default. */
  call_handling: ColumnType<string | null, string | null | undefined, string | null>;
  /** null = keep recordings forever. */
  recording_retention_days: number | null;
  created_at: number;
  updated_at: number;
}

/** An API key of an application, stored as a SHA-256 hash only. */
export interface ApiKeysTable {
  id: string;
  application_id: string;
  /** Hex SHA-256 of the whole key; unique. */
  hash: string;
  /** The key's first characters, for people to tell keys apart. */
  prefix: string;
  /** 'api' (issued by the server) or 'config' (a literal key declared in the config file). */
  source: string;
  created_at: number;
  revoked_at: number | null;
}

/** An E.164 number, E.164 prefix pattern or SIP URI that routes inbound calls. */
export interface NumbersTable {
  id: string;
  /** The owning application; null = owned by the operator (admin only). */
  application_id: string | null;
  /** Unique: one inbound address routes to one place. */
  pattern: string;
  /** 'e164' | 'e164-prefix' | 'sip-uri'. */
  kind: string;
  /** 'application' | 'robot' | 'meeting' | 'diagnostic'. */
  target_type: string;
  /** Robot or meeting name, diagnostic kind; null for target_type 'application'. */
  target: string | null;
  created_at: number;
  updated_at: number;
}

/** A carrier gateway for outbound calls and trusted inbound sources. */
export interface TrunksTable {
  id: string;
  /** Owner; null = shared, managed by the operator. */
  application_id: string | null;
  name: string;
  host: string;
  port: number;
  /** 'udp' | 'tcp' | 'tls' | 'ws' | 'wss'. */
  transport: string;
  username: string | null;
  /** Digest password AS GIVEN (not encrypted at rest yet; see docs/tenancy.md). */
  password: string | null;
  /** 0/1: REGISTER with the carrier. */
  register: number;
  /** JSON array of CIDRs allowed to send inbound calls. */
  inbound_sources: string;
  /** JSON array of caller-ID rewrite rules. */
  caller_id_rules: string;
  /** JSON array of codec names, most preferred first. */
  codecs: string;
  created_at: number;
  updated_at: number;
}

/** A SIP user (a phone) that may REGISTER and call with digest credentials. */
export interface SipUsersTable {
  id: string;
  application_id: string | null;
  username: string;
  /** Plain password (as given), or null when only ha1 is known. */
  password: string | null;
  /** Hex MD5(username:realm:password) (RFC 2617 §3.2.2.2), or null. */
  ha1: string | null;
  created_at: number;
  updated_at: number;
}
