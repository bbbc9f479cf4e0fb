// Trunks: carrier gateways for outbound calls, and the source addresses from which inbound
// calls are accepted without digest. Registration with the carrier, caller-ID rewriting and
// codec preference are stored and validated here; the SIP service registers trunks with
// register: true (server/trunk-registrations.ts) and its status is read back here.
// Passwords are stored as given (docs/tenancy.md).
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../../lib/index.ts';
import { UniqueViolationError, type CallerIdRule, type Store, type TrunkRecord, type TrunkTransport } from '../../store/index.ts';
import { resolveOwner } from './owner.ts';
import { canSee, type Principal } from './principal.ts';
import { Issues, TenancyError } from './tenancy-error.ts';
import { checkCidr, checkHost, checkName } from './validate.ts';
import { trunkView, type Trunk } from './views.ts';

export const TRUNK_TRANSPORTS: readonly TrunkTransport[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

export interface TrunkInput {
  name: string;
  host: string;
  /** Default 5060 (5061 for tls). */
  port?: number;
  /** Default 'udp'. */
  transport?: TrunkTransport;
  /** Digest username; default none. */
  username?: string | null;
  /** Digest password; default none. */
  password?: string | null;
  /** REGISTER with the carrier; default false (needs username and password). */
  register?: boolean;
  /** CIDRs allowed to send inbound calls; default []. */
  inboundSources?: string[];
  /** Default []. */
  callerIdRules?: CallerIdRule[];
  /** Most preferred first; default ['PCMU', 'PCMA']. */
  codecs?: string[];
  /** Owner; default: the calling application, or none (shared) for the operator. */
  applicationId?: string | null;
}

export type TrunkUpdate = Partial<Omit<TrunkInput, 'applicationId'>>;

const CODEC_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const CALLER_ID_KEYS = new Set(['matchPrefix', 'set', 'stripDigits', 'prepend', 'withhold']);

export class TrunkService {
  private readonly clock: Clock;

  constructor(private readonly store: Store, opts: { clock?: Clock } = {}) {
    this.clock = opts.clock ?? systemClock;
  }

  async create(who: Principal, input: TrunkInput): Promise<Trunk> {
    const transport = input.transport ?? 'udp';
    const full: Required<Omit<TrunkInput, 'applicationId'>> = {
      name: input.name,
      host: input.host,
      transport,
      port: input.port ?? (transport === 'tls' ? 5061 : 5060),
      username: input.username ?? null,
      password: input.password ?? null,
      register: input.register ?? false,
      inboundSources: input.inboundSources ?? [],
      callerIdRules: input.callerIdRules ?? [],
      codecs: input.codecs ?? ['PCMU', 'PCMA'],
    };
    validate(full);
    const owner = await resolveOwner(this.store, who, input.applicationId);
    const now = this.clock.now();
    const record: TrunkRecord = { id: `trk_${randomUUID()}`, applicationId: owner, ...full, createdAt: now, updatedAt: now };
    try {
      await this.store.tenancy.trunks.insert(record);
    } catch (err) {
      throw conflict(err, input.name);
    }
    return trunkView(record);
  }

  /** With its carrier registration status when register is true (see TrunkRegistrationStatus). */
  async get(who: Principal, id: string): Promise<Trunk> {
    const r = await this.load(who, id);
    return trunkView(r, r.register ? await this.store.tenancy.trunkRegistrations.get(id) : undefined);
  }

  async list(who: Principal): Promise<Trunk[]> {
    const filter = who.kind === 'application' ? { applicationId: who.applicationId } : {};
    const trunks = await this.store.tenancy.trunks.list(filter);
    const regs = trunks.some((t) => t.register)
      ? new Map((await this.store.tenancy.trunkRegistrations.list()).map((r) => [r.trunkId, r]))
      : new Map();
    return trunks.map((t) => trunkView(t, regs.get(t.id)));
  }

  async findByName(who: Principal, name: string): Promise<Trunk | undefined> {
    const r = await this.store.tenancy.trunks.getByName(name);
    return r && canSee(who, r.applicationId) ? trunkView(r) : undefined;
  }

  /** Fields absent from the patch keep their values; null clears username/password. */
  async update(who: Principal, id: string, patch: TrunkUpdate): Promise<Trunk> {
    const current = await this.load(who, id);
    const merged = { ...current, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as TrunkRecord;
    validate(merged);
    try {
      const { id: _id, createdAt: _c, applicationId: _a, ...fields } = merged;
      const updated = await this.store.tenancy.trunks.update(id, { ...fields, updatedAt: this.clock.now() });
      if (!updated) throw notFound(id);
      return trunkView(updated);
    } catch (err) {
      throw conflict(err, merged.name);
    }
  }

  async delete(who: Principal, id: string): Promise<void> {
    await this.load(who, id);
    if (!(await this.store.tenancy.trunks.delete(id))) throw notFound(id);
  }

  /** The whole record, password included: for the SIP adapter that dials through it. */
  async credentials(id: string): Promise<TrunkRecord | undefined> {
    return this.store.tenancy.trunks.get(id);
  }

  private async load(who: Principal, id: string): Promise<TrunkRecord> {
    const r = await this.store.tenancy.trunks.get(id);
    if (!r || !canSee(who, r.applicationId)) throw notFound(id);
    return r;
  }
}

function notFound(id: string): TenancyError {
  return new TenancyError('TRUNK_NOT_FOUND', `No trunk ${id}`);
}

function conflict(err: unknown, name: string): unknown {
  if (err instanceof UniqueViolationError) return new TenancyError('TRUNK_CONFLICT', `A trunk named "${name}" already exists`);
  return err;
}

function validate(t: Required<Omit<TrunkInput, 'applicationId'>>): void {
  const issues = new Issues();
  checkName(issues, '/name', t.name);
  checkHost(issues, '/host', t.host);
  if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535) issues.add('/port', 'must be a port number 1..65535');
  if (!TRUNK_TRANSPORTS.includes(t.transport)) issues.add('/transport', `must be one of ${TRUNK_TRANSPORTS.join(', ')}`);
  if (t.register && (!t.username || !t.password)) issues.add('/register', 'registration needs a username and a password');
  if (t.password && !t.username) issues.add('/username', 'a password needs a username');
  t.inboundSources.forEach((c, i) => checkCidr(issues, `/inboundSources/${i}`, c));
  t.codecs.forEach((c, i) => {
    if (!CODEC_RE.test(c)) issues.add(`/codecs/${i}`, 'must be a codec name such as PCMU, PCMA, opus, G722');
  });
  if (t.codecs.length === 0) issues.add('/codecs', 'must name at least one codec');
  t.callerIdRules.forEach((r, i) => {
    const p = `/callerIdRules/${i}`;
    for (const k of Object.keys(r)) if (!CALLER_ID_KEYS.has(k)) issues.add(`${p}/${k}`, 'unknown field');
    if (r.matchPrefix !== undefined && !/^\+?\d*$/.test(r.matchPrefix)) issues.add(`${p}/matchPrefix`, 'must be digits, optionally after "+"');
    if (r.set !== undefined && !/^\+?[\dA-Za-z._-]{1,64}$/.test(r.set)) issues.add(`${p}/set`, 'must be a number or SIP user part');
    if (r.prepend !== undefined && !/^\+?\d{0,15}$/.test(r.prepend)) issues.add(`${p}/prepend`, 'must be digits, optionally after "+"');
    if (r.stripDigits !== undefined && !(Number.isInteger(r.stripDigits) && r.stripDigits >= 0 && r.stripDigits <= 15)) {
      issues.add(`${p}/stripDigits`, 'must be an integer 0..15');
    }
  });
  issues.throwIfAny();
}
