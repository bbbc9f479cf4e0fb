// SIP users: phones that REGISTER and call, authenticated by digest. A user is created with
// a password (stored as given, needed for SHA-256 and MD5 challenges alike) or with an HA1
// (hex MD5(username:realm:password), RFC 2617 §3.2.2.2 — then only MD5 challenges can be
// verified for it, and only in the realm it was computed for).
// The SIP service's digest check reads these records straight from the store on every
// challenge answer (server/sip-service.ts), so changes count at once (docs/tenancy.md).
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../../lib/index.ts';
import { UniqueViolationError, type SipUserRecord, type Store } from '../../store/index.ts';
import { resolveOwner } from './owner.ts';
import { canSee, type Principal } from './principal.ts';
import { Issues, TenancyError } from './tenancy-error.ts';
import { SIP_USERNAME_RE } from './validate.ts';
import { sipUserView, type SipUser } from './views.ts';

export interface SipUserInput {
  username: string;
  /** One of password or ha1 is required. */
  password?: string;
  /** 32 hex digits. */
  ha1?: string;
  /** Owner; default: the calling application, or none for the operator. */
  applicationId?: string | null;
}

/** A new credential replaces the old one entirely. */
export interface SipUserUpdate {
  password?: string;
  ha1?: string;
}

export class SipUserService {
  private readonly clock: Clock;

  constructor(private readonly store: Store, opts: { clock?: Clock } = {}) {
    this.clock = opts.clock ?? systemClock;
  }

  async create(who: Principal, input: SipUserInput): Promise<SipUser> {
    const issues = new Issues();
    if (!SIP_USERNAME_RE.test(input.username)) issues.add('/username', 'must be 1-64 SIP user characters (letters, digits, ._!~*\'()&=+$,;?/-)');
    checkCredential(issues, input);
    issues.throwIfAny();
    const owner = await resolveOwner(this.store, who, input.applicationId);
    const now = this.clock.now();
    const record: SipUserRecord = {
      id: `sipu_${randomUUID()}`, applicationId: owner, username: input.username,
      password: input.password ?? null, ha1: input.password !== undefined ? null : input.ha1!.toLowerCase(),
      createdAt: now, updatedAt: now,
    };
    try {
      await this.store.tenancy.sipUsers.insert(record);
    } catch (err) {
      if (err instanceof UniqueViolationError) throw new TenancyError('SIP_USER_CONFLICT', `SIP user "${input.username}" already exists`);
      throw err;
    }
    return sipUserView(record);
  }

  async get(who: Principal, id: string): Promise<SipUser> {
    return sipUserView(await this.load(who, id));
  }

  async list(who: Principal): Promise<SipUser[]> {
    const filter = who.kind === 'application' ? { applicationId: who.applicationId } : {};
    return (await this.store.tenancy.sipUsers.list(filter)).map(sipUserView);
  }

  async findByUsername(who: Principal, username: string): Promise<SipUser | undefined> {
    const r = await this.store.tenancy.sipUsers.getByUsername(username);
    return r && canSee(who, r.applicationId) ? sipUserView(r) : undefined;
  }

  async update(who: Principal, id: string, patch: SipUserUpdate): Promise<SipUser> {
    await this.load(who, id);
    const issues = new Issues();
    checkCredential(issues, patch);
    issues.throwIfAny();
    const updated = await this.store.tenancy.sipUsers.update(id, {
      password: patch.password ?? null,
      ha1: patch.password !== undefined ? null : patch.ha1!.toLowerCase(),
      updatedAt: this.clock.now(),
    });
    if (!updated) throw notFound(id);
    return sipUserView(updated);
  }

  async delete(who: Principal, id: string): Promise<void> {
    await this.load(who, id);
    if (!(await this.store.tenancy.sipUsers.delete(id))) throw notFound(id);
  }

  /** The stored credential for a digest check (password or HA1). */
  async credentials(username: string): Promise<SipUserRecord | undefined> {
    return this.store.tenancy.sipUsers.getByUsername(username);
  }

  private async load(who: Principal, id: string): Promise<SipUserRecord> {
    const r = await this.store.tenancy.sipUsers.get(id);
    if (!r || !canSee(who, r.applicationId)) throw notFound(id);
    return r;
  }
}

function notFound(id: string): TenancyError {
  return new TenancyError('SIP_USER_NOT_FOUND', `No SIP user ${id}`);
}

function checkCredential(issues: Issues, c: { password?: string; ha1?: string }): void {
  if ((c.password === undefined) === (c.ha1 === undefined)) issues.add('/password', 'give exactly one of password or ha1');
  if (c.password !== undefined && (c.password.length < 8 || c.password.length > 128)) issues.add('/password', 'must be 8-128 characters');
  if (c.ha1 !== undefined && !/^[0-9a-fA-F]{32}$/.test(c.ha1)) issues.add('/ha1', 'must be 32 hex digits (MD5)');
}
