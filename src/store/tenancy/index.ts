// Tenancy repositories (applications, API keys, numbers, trunks, SIP users), re-exported by
// the store's index.ts; other layers import them from there.
export type { ApplicationsTable, ApiKeysTable, NumbersTable, TrunksTable, SipUsersTable } from './tables.ts';
export type {
  ApplicationLimits, ApplicationCallHandling, WebhookFallback, ApplicationRecord, ApiKeyRecord, ApiKeySource, NumberKind, NumberTargetType, NumberRecord,
  TrunkTransport, CallerIdRule, TrunkRecord, SipUserRecord, OwnerFilter,
} from './records.ts';
export { ApplicationRepository, type ApplicationPatch } from './application-repository.ts';
export { ApiKeyRepository } from './api-key-repository.ts';
export { NumberRepository, type NumberPatch } from './number-repository.ts';
export { TrunkRepository, type TrunkPatch } from './trunk-repository.ts';
export { SipUserRepository, type SipUserPatch } from './sip-user-repository.ts';
export { UniqueViolationError, isUniqueViolation } from './unique-violation.ts';
export { AcsRepository, type AcsAccessKeyRecord } from './acs-repository.ts';
export type { AcsAccessKeysTable, AcsSettingsTable } from './acs-tables.ts';
export { TrunkRegistrationRepository, type TrunkRegistrationRecord, type TrunkRegistrationState, type TrunkRegistrationsTable } from './trunk-registration-repository.ts';

import type { Kysely } from 'kysely';
import type { Schema } from '../schema.ts';
import { ApplicationRepository } from './application-repository.ts';
import { ApiKeyRepository } from './api-key-repository.ts';
import { NumberRepository } from './number-repository.ts';
import { TrunkRepository } from './trunk-repository.ts';
import { SipUserRepository } from './sip-user-repository.ts';
import { AcsRepository } from './acs-repository.ts';
import { TrunkRegistrationRepository } from './trunk-registration-repository.ts';

/** The tenancy repositories of a Store (or of one transaction). */
export interface TenancyRepositories {
  applications: ApplicationRepository;
  apiKeys: ApiKeyRepository;
  numbers: NumberRepository;
  trunks: TrunkRepository;
  sipUsers: SipUserRepository;
  /** The ACS face's access keys and settings (migration 0007). */
  acs: AcsRepository;
  /** Carrier registration state of trunks with register: true (migration 0008). */
  trunkRegistrations: TrunkRegistrationRepository;
}

/** Builds the tenancy repositories over `db` (a Kysely or a Transaction). */
export function tenancyRepositories(db: Kysely<Schema>): TenancyRepositories {
  return {
    applications: new ApplicationRepository(db),
    apiKeys: new ApiKeyRepository(db),
    numbers: new NumberRepository(db),
    trunks: new TrunkRepository(db),
    sipUsers: new SipUserRepository(db),
    acs: new AcsRepository(db),
    trunkRegistrations: new TrunkRegistrationRepository(db),
  };
}
