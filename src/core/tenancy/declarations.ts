// Resources declared in the config file (GitOps, tests): applications with literal API keys,
// numbers and SIP users, and trunks — applied at every start, idempotently: each is created
// when missing and updated to match when present, matched by its natural key (application
// and trunk name, number pattern, SIP username). Nothing is ever duplicated. Resources that
// disappear from the file are left alone (delete them through the API), except API keys that
// came from the file: a key removed from the file is revoked, so rotating a key in Git works.
// ACS access keys (`acsAccessKeys`) are only ever added or re-activated, never revoked by a
// start: the store does not record which ACS keys came from the file (revoke them through the
// API or CLI). `acsIncomingCallUrl`, when present, sets the IncomingCall Event Grid URL.
import { randomUUID } from 'node:crypto';
import type { ApplicationCallHandling, ApplicationLimits, Store } from '../../store/index.ts';
import { displayPrefix, hashApiKey, MIN_LITERAL_KEY_LENGTH } from './api-key.ts';
import type { ApplicationService } from './application-service.ts';
import type { NumberService } from './number-service.ts';
import { ADMIN } from './principal.ts';
import type { SipUserService } from './sip-user-service.ts';
import { TenancyError } from './tenancy-error.ts';
import type { TrunkInput, TrunkService } from './trunk-service.ts';
import type { NumberTargetType } from '../../store/index.ts';

export interface DeclaredApplication {
  name: string;
  callbackUrl?: string | null;
  /** Literal keys, at least 16 characters each (store them in a secret manager). */
  apiKeys?: string[];
  limits?: Partial<ApplicationLimits>;
  /** Replaces the application's callHandling when given (absent fields = defaults); default: left as it is. */
  callHandling?: ApplicationCallHandling;
  numbers?: { number: string; routeTo?: { type: NumberTargetType; target?: string | null } }[];
  sipUsers?: { username: string; password?: string; ha1?: string }[];
  /** ACS access keys (base64, ≥ 16 bytes) the Call Automation SDK signs with; default none. */
  acsAccessKeys?: string[];
  /** Where IncomingCall Event Grid events go (null clears it); default: left as it is. */
  acsIncomingCallUrl?: string | null;
}

export interface DeclaredTrunk extends Omit<TrunkInput, 'applicationId'> {
  /** Name of the owning application (declared or existing); default: shared. */
  application?: string;
}

export interface Declarations {
  applications?: DeclaredApplication[];
  trunks?: DeclaredTrunk[];
}

/** What one apply did, for the start-up log. */
export interface ApplyReport {
  created: string[];
  updated: string[];
  revokedKeys: number;
}

export interface DeclarationDeps {
  store: Store;
  applications: ApplicationService;
  numbers: NumberService;
  trunks: TrunkService;
  sipUsers: SipUserService;
  now: () => number;
}

/** Throws TenancyError naming the declaration at fault; earlier declarations stay applied. */
export async function applyDeclarations(deps: DeclarationDeps, decl: Declarations): Promise<ApplyReport> {
  const report: ApplyReport = { created: [], updated: [], revokedKeys: 0 };
  for (const a of decl.applications ?? []) await applyApplication(deps, a, report);
  for (const t of decl.trunks ?? []) await applyTrunk(deps, t, report);
  return report;
}

async function applyApplication(deps: DeclarationDeps, a: DeclaredApplication, report: ApplyReport): Promise<void> {
  const existing = await deps.applications.findByName(a.name);
  let appId: string;
  if (existing) {
    appId = existing.id;
    // Declared callHandling is the whole truth: reset, then set (fields dropped from the file go back to defaults).
    if (a.callHandling !== undefined) await deps.applications.update(appId, { callHandling: null });
    await deps.applications.update(appId, { callbackUrl: a.callbackUrl ?? null, limits: a.limits, ...(a.callHandling !== undefined ? { callHandling: a.callHandling } : {}) });
    report.updated.push(`application ${a.name}`);
  } else {
    const created = await deps.applications.create({ name: a.name, callbackUrl: a.callbackUrl ?? null, limits: a.limits, ...(a.callHandling !== undefined ? { callHandling: a.callHandling } : {}) });
    appId = created.application.id;
    // The generated key was never shown to anyone: a declared application uses its literal keys.
    await deps.store.tenancy.apiKeys.revoke(created.apiKey.info.id, deps.now());
    report.created.push(`application ${a.name}`);
  }
  await applyKeys(deps, appId, a, report);
  await applyAcs(deps, appId, a);

  for (const n of a.numbers ?? []) {
    const current = await deps.numbers.findByNumber(ADMIN, n.number);
    if (!current) {
      await deps.numbers.create(ADMIN, { number: n.number, applicationId: appId, routeTo: n.routeTo });
      report.created.push(`number ${n.number}`);
    } else if (current.applicationId === appId) {
      await deps.numbers.update(ADMIN, current.id, { routeTo: n.routeTo ?? { type: 'application' } });
      report.updated.push(`number ${n.number}`);
    } else {
      throw new TenancyError('NUMBER_CONFLICT', `applications[${a.name}].numbers: ${n.number} already belongs to another application`);
    }
  }

  for (const u of a.sipUsers ?? []) {
    const current = await deps.sipUsers.findByUsername(ADMIN, u.username);
    if (!current) {
      await deps.sipUsers.create(ADMIN, { ...u, applicationId: appId });
      report.created.push(`sip user ${u.username}`);
    } else if (current.applicationId === appId) {
      await deps.sipUsers.update(ADMIN, current.id, { password: u.password, ha1: u.ha1 });
      report.updated.push(`sip user ${u.username}`);
    } else {
      throw new TenancyError('SIP_USER_CONFLICT', `applications[${a.name}].sipUsers: ${u.username} already belongs to another application`);
    }
  }
}

async function applyKeys(deps: DeclarationDeps, appId: string, a: DeclaredApplication, report: ApplyReport): Promise<void> {
  const repo = deps.store.tenancy.apiKeys;
  const wanted = new Set<string>();
  for (const key of a.apiKeys ?? []) {
    if (key.length < MIN_LITERAL_KEY_LENGTH) {
      throw new TenancyError('VALIDATION_FAILED', `applications[${a.name}].apiKeys: a key must be at least ${MIN_LITERAL_KEY_LENGTH} characters`);
    }
    const hash = hashApiKey(key);
    wanted.add(hash);
    const found = await repo.findByHash(hash);
    if (found && found.applicationId !== appId) {
      throw new TenancyError('VALIDATION_FAILED', `applications[${a.name}].apiKeys: a key is already used by another application`);
    }
    if (found) {
      await repo.unrevoke(found.id);
      continue;
    }
    await repo.insert({
      id: `key_${randomUUID()}`, applicationId: appId, hash, prefix: displayPrefix(key), source: 'config',
      createdAt: deps.now(), revokedAt: null,
    });
  }
  for (const k of await repo.listByApplication(appId)) {
    if (k.source === 'config' && k.revokedAt === null && !wanted.has(k.hash)) {
      await repo.revoke(k.id, deps.now());
      report.revokedKeys++;
    }
  }
}

const ACS_KEY_RE = /^[A-Za-z0-9+/]+={0,2}$/;

async function applyAcs(deps: DeclarationDeps, appId: string, a: DeclaredApplication): Promise<void> {
  const repo = deps.store.tenancy.acs;
  const active = await repo.listAllActiveKeys();
  for (const key of a.acsAccessKeys ?? []) {
    if (!ACS_KEY_RE.test(key) || Buffer.from(key, 'base64').length < 16) {
      throw new TenancyError('VALIDATION_FAILED', `applications[${a.name}].acsAccessKeys: a key must be base64 of at least 16 bytes`);
    }
    // A key names its application (a signed request carries nothing else): never share one.
    if (active.some((k) => k.key === key && k.applicationId !== appId)) {
      throw new TenancyError('VALIDATION_FAILED', `applications[${a.name}].acsAccessKeys: a key is already used by another application`);
    }
    if (active.some((k) => k.key === key)) continue;
    await repo.insertKey({ id: randomUUID(), applicationId: appId, key, createdAt: deps.now(), revokedAt: null });
  }
  if (a.acsIncomingCallUrl !== undefined) {
    if (a.acsIncomingCallUrl !== null && !/^https?:\/\/[^\s]+$/.test(a.acsIncomingCallUrl)) {
      throw new TenancyError('VALIDATION_FAILED', `applications[${a.name}].acsIncomingCallUrl: must be an http:// or https:// URL`);
    }
    await repo.setIncomingCallUrl(appId, a.acsIncomingCallUrl, deps.now());
  }
}

async function applyTrunk(deps: DeclarationDeps, t: DeclaredTrunk, report: ApplyReport): Promise<void> {
  const { application, ...input } = t;
  let owner: string | null = null;
  if (application !== undefined) {
    const app = await deps.applications.findByName(application);
    if (!app) throw new TenancyError('APPLICATION_NOT_FOUND', `trunks[${t.name}].application: no application named "${application}"`);
    owner = app.id;
  }
  const current = await deps.trunks.findByName(ADMIN, t.name);
  if (!current) {
    await deps.trunks.create(ADMIN, { ...input, applicationId: owner });
    report.created.push(`trunk ${t.name}`);
    return;
  }
  if (current.applicationId !== owner) {
    throw new TenancyError('TRUNK_CONFLICT', `trunks[${t.name}]: the trunk exists with another owner; delete it or fix "application"`);
  }
  // Declared fields win; undeclared optional ones go back to their defaults, so the file is the truth.
  const transport = input.transport ?? 'udp';
  await deps.trunks.update(ADMIN, current.id, {
    host: input.host,
    transport,
    port: input.port ?? (transport === 'tls' ? 5061 : 5060),
    username: input.username ?? null,
    password: input.password ?? null,
    register: input.register ?? false,
    inboundSources: input.inboundSources ?? [],
    callerIdRules: input.callerIdRules ?? [],
    codecs: input.codecs ?? ['PCMU', 'PCMA'],
  });
  report.updated.push(`trunk ${t.name}`);
}
