// Applications (tenants): create, read, update, delete, API keys (issued once, hashed at
// rest, rotatable, revocable) and webhook signing secrets (rotation keeps the previous one
// active, so deliveries signed just before a rotation still verify at the receiver).
// No HTTP and no SQL here: faces call these methods, the store persists.
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../../lib/index.ts';
import { UniqueViolationError, type ApplicationCallHandling, type ApplicationLimits, type ApplicationRecord, type Store } from '../../store/index.ts';
import { LIMIT_STATUSES, UNANSWERED_STATUSES } from '../calls/call-handling.ts';
import { E164_RE } from './destination-policy.ts';
import { displayPrefix, generateApiKey, generateWebhookSecret, hashApiKey, sameHash } from './api-key.ts';
import { canSee, type Principal } from './principal.ts';
import { Issues, TenancyError } from './tenancy-error.ts';
import { checkName, checkOptionalNonNegative, checkPrefixes, checkUrl } from './validate.ts';
import { apiKeyView, applicationView, type ApiKeyInfo, type Application } from './views.ts';

export interface ApplicationInput {
  name: string;
  /** Default webhook URL; default none. */
  callbackUrl?: string | null;
  /** Missing fields take DEFAULT_LIMITS. */
  limits?: Partial<ApplicationLimits>;
  /**
   * What the node does with calls the application does not handle (unanswered timeout and
   * status, limit status, webhook fallback); missing fields take the defaults named in
   * ApplicationCallHandling. On update fields merge one by one; null resets all to defaults.
   */
  callHandling?: ApplicationCallHandling | null;
}

export type ApplicationUpdate = Partial<ApplicationInput>;

/** Unlimited calls, domestic destinations only, recordings kept until deleted. */
export const DEFAULT_LIMITS: Readonly<ApplicationLimits> = Object.freeze({
  maxConcurrentCalls: null,
  callsPerSecond: null,
  allowedDestinationPrefixes: [],
  recordingRetentionDays: null,
});

/** A newly issued key: `key` is shown this once and cannot be recovered later. */
export interface IssuedApiKey {
  key: string;
  info: ApiKeyInfo;
}

export interface CreatedApplication {
  application: Application;
  apiKey: IssuedApiKey;
  /** Active webhook signing secrets, current first. */
  webhookSecrets: string[];
}

export interface ApplicationServiceOptions {
  /** Stamps created/updated times; default systemClock. */
  clock?: Clock;
}

export class ApplicationService {
  private readonly clock: Clock;

  constructor(private readonly store: Store, opts: ApplicationServiceOptions = {}) {
    this.clock = opts.clock ?? systemClock;
  }

  /** Creates an application with one API key and one webhook secret. */
  async create(input: ApplicationInput): Promise<CreatedApplication> {
    validate(input, true);
    const now = this.clock.now();
    const record: ApplicationRecord = {
      id: `app_${randomUUID()}`,
      name: input.name,
      callbackUrl: input.callbackUrl ?? null,
      webhookSecrets: [generateWebhookSecret()],
      limits: { ...DEFAULT_LIMITS, ...stripUndefined(input.limits ?? {}) },
      ...(input.callHandling ? { callHandling: stripUndefined(input.callHandling) } : {}),
      createdAt: now,
      updatedAt: now,
    };
    const key = generateApiKey();
    const keyRecord = {
      id: `key_${randomUUID()}`, applicationId: record.id, hash: hashApiKey(key), prefix: displayPrefix(key),
      source: 'api' as const, createdAt: now, revokedAt: null,
    };
    try {
      await this.store.transaction(async (tx) => {
        await tx.tenancy.applications.insert(record);
        await tx.tenancy.apiKeys.insert(keyRecord);
      });
    } catch (err) {
      throw conflict(err, input.name);
    }
    return { application: applicationView(record), apiKey: { key, info: apiKeyView(keyRecord) }, webhookSecrets: record.webhookSecrets };
  }

  /** An application the principal may see; APPLICATION_NOT_FOUND otherwise. */
  async get(who: Principal, id: string): Promise<Application> {
    return applicationView(await this.load(who, id));
  }

  /** The admin sees every application; an application sees itself. */
  async list(who: Principal): Promise<Application[]> {
    if (who.kind === 'application') {
      const own = await this.store.tenancy.applications.get(who.applicationId);
      return own ? [applicationView(own)] : [];
    }
    return (await this.store.tenancy.applications.list()).map(applicationView);
  }

  /** Looks an application up by its unique name (config declarations match on it). */
  async findByName(name: string): Promise<Application | undefined> {
    const r = await this.store.tenancy.applications.getByName(name);
    return r && applicationView(r);
  }

  /** Admin only (the face enforces it). Limits merge field by field. */
  async update(id: string, patch: ApplicationUpdate): Promise<Application> {
    validate(patch, false);
    const current = await this.load({ kind: 'admin' }, id);
    try {
      const updated = await this.store.tenancy.applications.update(id, {
        name: patch.name,
        callbackUrl: patch.callbackUrl,
        limits: patch.limits && { ...current.limits, ...stripUndefined(patch.limits) },
        callHandling: patch.callHandling === null ? null
          : patch.callHandling && { ...(current.callHandling ?? {}), ...stripUndefined(patch.callHandling) },
        updatedAt: this.clock.now(),
      });
      if (!updated) throw notFound(id);
      return applicationView(updated);
    } catch (err) {
      throw conflict(err, patch.name ?? current.name);
    }
  }

  /** Deletes the application and everything it owns (keys, numbers, trunks, SIP users). */
  async delete(id: string): Promise<void> {
    if (!(await this.store.tenancy.applications.delete(id))) throw notFound(id);
  }

  /** Issues an additional key; existing keys stay valid. */
  async createApiKey(applicationId: string): Promise<IssuedApiKey> {
    await this.load({ kind: 'admin' }, applicationId);
    return this.issueKey(this.store.tenancy, applicationId);
  }

  async listApiKeys(applicationId: string): Promise<ApiKeyInfo[]> {
    await this.load({ kind: 'admin' }, applicationId);
    return (await this.store.tenancy.apiKeys.listByApplication(applicationId)).map(apiKeyView);
  }

  /** Revokes one key at once; revoking a revoked key is a no-op. */
  async revokeApiKey(applicationId: string, keyId: string): Promise<ApiKeyInfo> {
    const key = await this.store.tenancy.apiKeys.get(keyId);
    if (!key || key.applicationId !== applicationId) throw new TenancyError('API_KEY_NOT_FOUND', `No API key ${keyId} for application ${applicationId}`);
    await this.store.tenancy.apiKeys.revoke(keyId, this.clock.now());
    return apiKeyView((await this.store.tenancy.apiKeys.get(keyId))!);
  }

  /** Issues a new key and revokes `keyId` in one transaction. */
  async rotateApiKey(applicationId: string, keyId: string): Promise<IssuedApiKey> {
    return this.store.transaction(async (tx) => {
      const old = await tx.tenancy.apiKeys.get(keyId);
      if (!old || old.applicationId !== applicationId || old.revokedAt !== null) {
        throw new TenancyError('API_KEY_NOT_FOUND', `No active API key ${keyId} for application ${applicationId}`);
      }
      const issued = await this.issueKey(tx.tenancy, applicationId);
      await tx.tenancy.apiKeys.revoke(keyId, this.clock.now());
      return issued;
    });
  }

  /**
   * New current secret; the previous current one stays active as the second secret, and the
   * one before it stops being accepted. Returns the active secrets, current first.
   */
  async rotateWebhookSecret(applicationId: string): Promise<string[]> {
    const current = await this.load({ kind: 'admin' }, applicationId);
    const secrets = [generateWebhookSecret(), current.webhookSecrets[0]];
    await this.store.tenancy.applications.update(applicationId, { webhookSecrets: secrets, updatedAt: this.clock.now() });
    return secrets;
  }

  /** Active webhook signing secrets, current first (for event delivery). */
  async webhookSecrets(applicationId: string): Promise<string[]> {
    return (await this.load({ kind: 'admin' }, applicationId)).webhookSecrets;
  }

  /**
   * The application a key belongs to, or undefined for an unknown or revoked key. The lookup
   * is by SHA-256 of the key, and the stored hash is then compared in constant time, so the
   * response time says nothing about how much of a key was right.
   */
  async authenticateApiKey(key: string): Promise<Application | undefined> {
    if (key.length === 0 || key.length > 512) return undefined;
    const hash = hashApiKey(key);
    const record = await this.store.tenancy.apiKeys.findByHash(hash);
    if (!record || record.revokedAt !== null || !sameHash(record.hash, hash)) return undefined;
    const app = await this.store.tenancy.applications.get(record.applicationId);
    return app && applicationView(app);
  }

  private async issueKey(repos: Store['tenancy'], applicationId: string): Promise<IssuedApiKey> {
    const key = generateApiKey();
    const record = {
      id: `key_${randomUUID()}`, applicationId, hash: hashApiKey(key), prefix: displayPrefix(key),
      source: 'api' as const, createdAt: this.clock.now(), revokedAt: null,
    };
    await repos.apiKeys.insert(record);
    return { key, info: apiKeyView(record) };
  }

  private async load(who: Principal, id: string): Promise<ApplicationRecord> {
    const r = await this.store.tenancy.applications.get(id);
    if (!r || !canSee(who, r.id)) throw notFound(id);
    return r;
  }
}

function notFound(id: string): TenancyError {
  return new TenancyError('APPLICATION_NOT_FOUND', `No application ${id}`);
}

function conflict(err: unknown, name: string): unknown {
  if (err instanceof UniqueViolationError && err.table === 'applications') {
    return new TenancyError('APPLICATION_CONFLICT', `An application named "${name}" already exists`);
  }
  return err;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function validate(input: ApplicationUpdate, creating: boolean): void {
  const issues = new Issues();
  if (creating || input.name !== undefined) checkName(issues, '/name', input.name ?? '');
  if (input.callbackUrl) checkUrl(issues, '/callbackUrl', input.callbackUrl);
  const l = input.limits;
  if (l) {
    checkOptionalNonNegative(issues, '/limits/maxConcurrentCalls', l.maxConcurrentCalls, true);
    checkOptionalNonNegative(issues, '/limits/callsPerSecond', l.callsPerSecond, false);
    checkOptionalNonNegative(issues, '/limits/recordingRetentionDays', l.recordingRetentionDays, true);
    if (l.allowedDestinationPrefixes !== undefined) checkPrefixes(issues, '/limits/allowedDestinationPrefixes', l.allowedDestinationPrefixes);
  }
  if (input.callHandling) checkCallHandling(issues, input.callHandling);
  issues.throwIfAny();
}

/** Bounds of callHandling.unansweredTimeoutMs: 1 s .. 10 min (a phone gives up long before). */
export const UNANSWERED_TIMEOUT_RANGE_MS = [1000, 600_000] as const;
const SIP_URI_RE = /^sips?:[^\s@]+@[^\s@]+$/;

function checkCallHandling(issues: Issues, h: ApplicationCallHandling): void {
  const p = '/callHandling';
  for (const k of Object.keys(h)) {
    if (!['unansweredTimeoutMs', 'unansweredStatus', 'limitStatus', 'webhookFallback'].includes(k)) issues.add(`${p}/${k}`, 'unknown field');
  }
  const t = h.unansweredTimeoutMs;
  if (t !== undefined && !(Number.isInteger(t) && t >= UNANSWERED_TIMEOUT_RANGE_MS[0] && t <= UNANSWERED_TIMEOUT_RANGE_MS[1])) {
    issues.add(`${p}/unansweredTimeoutMs`, `must be an integer ${UNANSWERED_TIMEOUT_RANGE_MS[0]}..${UNANSWERED_TIMEOUT_RANGE_MS[1]} (ms)`);
  }
  if (h.unansweredStatus !== undefined && !UNANSWERED_STATUSES.includes(h.unansweredStatus)) {
    issues.add(`${p}/unansweredStatus`, `must be one of ${UNANSWERED_STATUSES.join(', ')}`);
  }
  if (h.limitStatus !== undefined && !LIMIT_STATUSES.includes(h.limitStatus)) issues.add(`${p}/limitStatus`, `must be one of ${LIMIT_STATUSES.join(', ')}`);
  const f = h.webhookFallback as Record<string, unknown> | undefined;
  if (f === undefined) return;
  const fp = `${p}/webhookFallback`;
  if (typeof f !== 'object' || f === null) return void issues.add(fp, 'must be an object with an action');
  const allowed: Record<string, string[]> = { hangup: ['action'], apology: ['action', 'text'], transfer: ['action', 'target'] };
  const keys = allowed[f.action as string];
  if (!keys) return void issues.add(`${fp}/action`, 'must be hangup, apology or transfer');
  for (const k of Object.keys(f)) if (!keys.includes(k)) issues.add(`${fp}/${k}`, `not allowed with action ${String(f.action)}`);
  if (f.action === 'apology' && !(typeof f.text === 'string' && f.text.trim().length > 0 && f.text.length <= 1000)) {
    issues.add(`${fp}/text`, 'must be 1-1000 characters of text to speak');
  }
  if (f.action === 'transfer' && !(typeof f.target === 'string' && (E164_RE.test(f.target) || SIP_URI_RE.test(f.target)))) {
    issues.add(`${fp}/target`, 'must be an E.164 number (+4930…) or a SIP URI (sip:user@host)');
  }
}
