// The database schema as Kysely sees it: one interface per table, column names as in SQL.
// It describes the schema after the LAST migration; migrations themselves never import it
// (they run against Kysely<any>), because a migration must keep meaning what it meant when it
// was written even after this file has moved on.
//
// Portability rules every table here follows, so one set of migrations serves SQLite and
// PostgreSQL alike:
//   - timestamps are `bigint` milliseconds since the epoch (Clock time), never SQL dates;
//   - structured values are JSON in `text` columns (no jsonb, no SQLite JSON1 reliance);
//   - `bigint` columns hold integers that fit a JS number (|n| < 2^53); the PostgreSQL
//     driver is set up to return them as numbers and refuses anything larger.

import type { ApiKeysTable, ApplicationsTable, NumbersTable, SipUsersTable, TrunksTable } from './tenancy/tables.ts';

import type { DeliveriesTable, EventsTable } from './outbox/tables.ts';
import type { AcsAccessKeysTable, AcsSettingsTable } from './tenancy/acs-tables.ts';
import type { TrunkRegistrationsTable } from './tenancy/trunk-registration-repository.ts';
import type { IdempotencyKeysTable } from './idempotency/tables.ts';
import type { CallsTable, CdrsTable, LegsTable, OperationsTable, RecordingsTable } from './calls/tables.ts';

/** One SIP registrar binding (RFC 3261 §10.3); a row per contact of an address-of-record. */
export interface RegistrationsTable {
  /** Canonical address-of-record; with `position`, the primary key. */
  aor: string;
  /**
   * Index of the binding in the list the registrar last stored for this AOR. It keeps the
   * registration order (equal-q contacts are tried in that order) and lets one AOR hold the
   * same Contact URI twice — RFC 5626 §4.2/§7: one instance registers one Contact over two
   * flows, told apart only by reg-id.
   */
  position: number;
  /** Contact URI as written. */
  contact: string;
  /** Absolute expiry, ms since the epoch. */
  expires_at: number;
  call_id: string;
  cseq: number;
  /** Contact q 0..1; null = no preference. */
  q: number | null;
  /** "+sip.instance" as written, quotes included. */
  instance: string | null;
  reg_id: number | null;
  /** JSON array of Path header values. */
  path: string | null;
  /** JSON object of other contact params (null value = flag param). */
  params: string | null;
  /** JSON object {protocol, address, port, connectionId?}: where the REGISTER came from. */
  source: string | null;
  user_agent: string | null;
  /** When this row was written, ms since the epoch. */
  updated_at: number;
}

/** Every table of the store. Later migrations add their tables here. */
export interface Schema {
  registrations: RegistrationsTable;
  // 0002 tenancy (types in tenancy/tables.ts)
  applications: ApplicationsTable;
  api_keys: ApiKeysTable;
  numbers: NumbersTable;
  trunks: TrunksTable;
  sip_users: SipUsersTable;
  // 0003 outbox (types in outbox/tables.ts)
  events: EventsTable;
  deliveries: DeliveriesTable;
  // 0004 idempotency (types in idempotency/tables.ts)
  idempotency_keys: IdempotencyKeysTable;
  // 0005 calls (types in calls/tables.ts)
  calls: CallsTable;
  legs: LegsTable;
  operations: OperationsTable;
  recordings: RecordingsTable;
  cdrs: CdrsTable;
  // 0007 ACS face (types in tenancy/acs-tables.ts)
  acs_access_keys: AcsAccessKeysTable;
  acs_settings: AcsSettingsTable;
  // 0008 trunk registrations (types in tenancy/trunk-registration-repository.ts)
  trunk_registrations: TrunkRegistrationsTable;
}
