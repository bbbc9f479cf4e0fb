// Tenancy: applications (tenants) with API keys and webhook secrets, numbers and SIP URIs,
// trunks and SIP users — the services every face calls, with validation and typed errors.
import { systemClock, type Clock } from '../../lib/index.ts';
import type { Store } from '../../store/index.ts';
import { ApplicationService } from './application-service.ts';
import { applyDeclarations, type ApplyReport, type Declarations } from './declarations.ts';
import { NumberService } from './number-service.ts';
import { SipUserService } from './sip-user-service.ts';
import { TrunkService } from './trunk-service.ts';
import { AcsKeyService } from './acs-key-service.ts';

export { ApplicationService, DEFAULT_LIMITS, type ApplicationInput, type ApplicationUpdate, type IssuedApiKey, type CreatedApplication, type ApplicationServiceOptions } from './application-service.ts';
export { NumberService, NUMBER_TARGET_TYPES, numberKind, type NumberInput, type NumberUpdate } from './number-service.ts';
export { TrunkService, TRUNK_TRANSPORTS, type TrunkInput, type TrunkUpdate } from './trunk-service.ts';
export { SipUserService, type SipUserInput, type SipUserUpdate } from './sip-user-service.ts';
export { TenancyError, type TenancyErrorCode, type FieldIssue } from './tenancy-error.ts';
export { ADMIN, applicationPrincipal, canSee, type Principal } from './principal.ts';
export { generateApiKey, hashApiKey, API_KEY_PREFIX, MIN_LITERAL_KEY_LENGTH } from './api-key.ts';
export { isDestinationAllowed, E164_RE } from './destination-policy.ts';
export { applyDeclarations, type Declarations, type DeclaredApplication, type DeclaredTrunk, type ApplyReport } from './declarations.ts';
export type { Application, ApiKeyInfo, NumberRoute, Trunk, SipUser } from './views.ts';
export { AcsKeyService, type AcsAccessKey } from './acs-key-service.ts';

/** The tenancy services over one store. */
export interface Tenancy {
  applications: ApplicationService;
  numbers: NumberService;
  trunks: TrunkService;
  sipUsers: SipUserService;
  /** ACS access keys and the IncomingCall URL of applications (the ACS face). */
  acs: AcsKeyService;
  /** Applies config-file declarations idempotently (see declarations.ts). */
  applyDeclarations(decl: Declarations): Promise<ApplyReport>;
}

export function createTenancy(store: Store, opts: { clock?: Clock } = {}): Tenancy {
  const clock = opts.clock ?? systemClock;
  const t = {
    applications: new ApplicationService(store, { clock }),
    numbers: new NumberService(store, { clock }),
    trunks: new TrunkService(store, { clock }),
    sipUsers: new SipUserService(store, { clock }),
  };
  return { ...t, acs: new AcsKeyService(store, { clock }), applyDeclarations: (decl) => applyDeclarations({ store, ...t, now: () => clock.now() }, decl) };
}
