// ACS access keys of applications (the keys an Azure Call Automation SDK signs requests with,
// src/faces/acs) and the application's IncomingCall subscription URL. Several keys may be
// active at once so a bot can move to a new key before the old one is revoked — the same
// "primary/secondary key" rotation Azure offers. Keys are 32 random bytes, base64, shown when
// issued and again by list() for the admin: HMAC verification needs the key itself.
import { randomBytes, randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../../lib/index.ts';
import type { Store } from '../../store/index.ts';
import { canSee, type Principal } from './principal.ts';
import { Issues, TenancyError } from './tenancy-error.ts';
import { checkUrl } from './validate.ts';

export interface AcsAccessKey {
  id: string;
  applicationId: string;
  /** base64; goes into the connection string `endpoint=…;accesskey=<key>`. */
  key: string;
  createdAt: number;
  revokedAt: number | null;
}

export class AcsKeyService {
  private readonly clock: Clock;

  constructor(private readonly store: Store, opts: { clock?: Clock } = {}) {
    this.clock = opts.clock ?? systemClock;
  }

  private async assertApp(who: Principal, applicationId: string): Promise<void> {
    if (!canSee(who, applicationId) || !(await this.store.tenancy.applications.get(applicationId))) {
      throw new TenancyError('APPLICATION_NOT_FOUND', `no application ${applicationId}`);
    }
  }

  /** Issues a new key (or stores `key` when given: config files declare their own). */
  async issue(who: Principal, applicationId: string, key?: string): Promise<AcsAccessKey> {
    await this.assertApp(who, applicationId);
    if (key !== undefined && (!/^[A-Za-z0-9+/]+={0,2}$/.test(key) || Buffer.from(key, 'base64').length < 16)) {
      throw new TenancyError('VALIDATION_FAILED', 'an ACS access key is base64 of at least 16 bytes', [{ path: 'key', message: 'must be base64 of at least 16 bytes' }]);
    }
    const k: AcsAccessKey = { id: randomUUID(), applicationId, key: key ?? randomBytes(32).toString('base64'), createdAt: this.clock.now(), revokedAt: null };
    await this.store.tenancy.acs.insertKey(k);
    return k;
  }

  /** Every key of the application, revoked ones included, oldest first. */
  async list(who: Principal, applicationId: string): Promise<AcsAccessKey[]> {
    await this.assertApp(who, applicationId);
    return this.store.tenancy.acs.listKeys(applicationId);
  }

  async revoke(who: Principal, applicationId: string, keyId: string): Promise<void> {
    await this.assertApp(who, applicationId);
    if (!(await this.store.tenancy.acs.revokeKey(applicationId, keyId, this.clock.now()))) {
      // Its own code, not API_KEY_NOT_FOUND: that one sends the operator to …/api-keys, the wrong list (docs/errors.md).
      throw new TenancyError('ACS_KEY_NOT_FOUND', `no active ACS access key ${keyId}`);
    }
  }

  /** The active keys (base64), newest first: what the face verifies signatures against. */
  async activeKeys(applicationId: string): Promise<string[]> {
    const all = await this.store.tenancy.acs.listKeys(applicationId);
    return all.filter((k) => k.revokedAt === null).reverse().map((k) => k.key);
  }

  /** Every application's active keys: a signed request names no application, its key does. */
  async allActiveKeys(): Promise<{ applicationId: string; key: string }[]> {
    return this.store.tenancy.acs.listAllActiveKeys();
  }

  async incomingCallUrl(applicationId: string): Promise<string | null> {
    return this.store.tenancy.acs.getIncomingCallUrl(applicationId);
  }

  /** Sets (or clears, with null) where IncomingCall Event Grid events go. */
  async setIncomingCallUrl(who: Principal, applicationId: string, url: string | null): Promise<void> {
    await this.assertApp(who, applicationId);
    if (url !== null) {
      const issues = new Issues();
      checkUrl(issues, 'incomingCallUrl', url);
      issues.throwIfAny();
    }
    await this.store.tenancy.acs.setIncomingCallUrl(applicationId, url, this.clock.now());
  }
}
