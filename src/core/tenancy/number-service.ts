// Numbers and SIP URIs that route inbound calls to an application (its webhook), a robot, a
// meeting or a diagnostic target. Accepted forms of `number`:
//   +4930123456     one E.164 number (ITU-T E.164; "+", 2..15 digits)
//   +4930123*       every E.164 number starting with +4930123 (a DID block)
//   sip:sales@example.com / sips:…   one SIP URI (RFC 3261 §19.1); user part "*" = any user
// Patterns are unique across the node (one inbound address, one destination).
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../../lib/index.ts';
import { UniqueViolationError, type NumberKind, type NumberRecord, type NumberTargetType, type Store } from '../../store/index.ts';
import { E164_RE } from './destination-policy.ts';
import { resolveOwner } from './owner.ts';
import { canSee, type Principal } from './principal.ts';
import { Issues, TenancyError } from './tenancy-error.ts';
import { numberView, type NumberRoute } from './views.ts';

export const NUMBER_TARGET_TYPES: readonly NumberTargetType[] = ['application', 'robot', 'meeting', 'diagnostic'];

export interface NumberInput {
  number: string;
  /** Owner; default: the calling application, or none for the operator. */
  applicationId?: string | null;
  /** Default { type: 'application' }: the owner's webhook. */
  routeTo?: { type: NumberTargetType; target?: string | null };
}

export interface NumberUpdate {
  routeTo?: { type: NumberTargetType; target?: string | null };
}

const E164_PREFIX_RE = /^\+[1-9]\d{0,14}\*$/;
const SIP_URI_RE = /^sips?:(?:\*|[A-Za-z0-9._!~*'()&=+$,;?/%-]+)@[A-Za-z0-9.-]+(?::\d{1,5})?$/;
const TARGET_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function numberKind(n: string): NumberKind | undefined {
  if (E164_RE.test(n)) return 'e164';
  if (E164_PREFIX_RE.test(n)) return 'e164-prefix';
  if (SIP_URI_RE.test(n)) return 'sip-uri';
  return undefined;
}

export class NumberService {
  private readonly clock: Clock;

  constructor(private readonly store: Store, opts: { clock?: Clock } = {}) {
    this.clock = opts.clock ?? systemClock;
  }

  async create(who: Principal, input: NumberInput): Promise<NumberRoute> {
    const issues = new Issues();
    const kind = numberKind(input.number);
    if (!kind) issues.add('/number', 'must be an E.164 number (+4930123456), an E.164 prefix ending in * (+4930*), or a sip:/sips: URI');
    const route = checkRoute(issues, input.routeTo ?? { type: 'application' });
    issues.throwIfAny();
    const owner = await resolveOwner(this.store, who, input.applicationId);
    if (route.type === 'application' && owner === null) {
      throw new TenancyError('VALIDATION_FAILED', '/applicationId: a number routed to an application needs an owning application',
        [{ path: '/applicationId', message: 'required when routeTo.type is "application"' }]);
    }
    const now = this.clock.now();
    const record: NumberRecord = {
      id: `num_${randomUUID()}`, applicationId: owner, pattern: input.number, kind: kind!,
      targetType: route.type, target: route.target, createdAt: now, updatedAt: now,
    };
    try {
      await this.store.tenancy.numbers.insert(record);
    } catch (err) {
      if (err instanceof UniqueViolationError) throw new TenancyError('NUMBER_CONFLICT', `${input.number} is already routed`);
      throw err;
    }
    return numberView(record);
  }

  async get(who: Principal, id: string): Promise<NumberRoute> {
    return numberView(await this.load(who, id));
  }

  /** The admin sees every number; an application its own. */
  async list(who: Principal): Promise<NumberRoute[]> {
    const filter = who.kind === 'application' ? { applicationId: who.applicationId } : {};
    return (await this.store.tenancy.numbers.list(filter)).map(numberView);
  }

  /** The number with exactly this pattern, if the principal may see it. */
  async findByNumber(who: Principal, number: string): Promise<NumberRoute | undefined> {
    const r = await this.store.tenancy.numbers.getByPattern(number);
    return r && canSee(who, r.applicationId) ? numberView(r) : undefined;
  }

  async update(who: Principal, id: string, patch: NumberUpdate): Promise<NumberRoute> {
    const current = await this.load(who, id);
    if (!patch.routeTo) return numberView(current);
    const issues = new Issues();
    const route = checkRoute(issues, patch.routeTo);
    issues.throwIfAny();
    if (route.type === 'application' && current.applicationId === null) {
      throw new TenancyError('VALIDATION_FAILED', '/routeTo/type: an operator-owned number cannot route to an application',
        [{ path: '/routeTo/type', message: 'the number has no owning application' }]);
    }
    const updated = await this.store.tenancy.numbers.update(id, { targetType: route.type, target: route.target, updatedAt: this.clock.now() });
    if (!updated) throw notFound(id);
    return numberView(updated);
  }

  async delete(who: Principal, id: string): Promise<void> {
    await this.load(who, id);
    if (!(await this.store.tenancy.numbers.delete(id))) throw notFound(id);
  }

  private async load(who: Principal, id: string): Promise<NumberRecord> {
    const r = await this.store.tenancy.numbers.get(id);
    if (!r || !canSee(who, r.applicationId)) throw notFound(id);
    return r;
  }
}

function notFound(id: string): TenancyError {
  return new TenancyError('NUMBER_NOT_FOUND', `No number ${id}`);
}

function checkRoute(issues: Issues, r: { type: NumberTargetType; target?: string | null }): { type: NumberTargetType; target: string | null } {
  if (!NUMBER_TARGET_TYPES.includes(r.type)) {
    issues.add('/routeTo/type', `must be one of ${NUMBER_TARGET_TYPES.join(', ')}`);
    return { type: 'application', target: null };
  }
  const target = r.target ?? null;
  if (r.type === 'application') {
    if (target !== null) issues.add('/routeTo/target', 'must be absent: an application target is the owning application');
  } else if (target === null || !TARGET_RE.test(target)) {
    issues.add('/routeTo/target', `a ${r.type} route needs a target name (letters, digits, ".", "_", "-")`);
  }
  return { type: r.type, target };
}
