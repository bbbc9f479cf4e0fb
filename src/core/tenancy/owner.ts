// Which application a new number, trunk or SIP user belongs to. An application creates only
// for itself; the operator may create for any existing application or for nobody (null:
// operator-owned, invisible to every application key).
import type { Store } from '../../store/index.ts';
import type { Principal } from './principal.ts';
import { TenancyError } from './tenancy-error.ts';

export async function resolveOwner(store: Store, who: Principal, requested: string | null | undefined): Promise<string | null> {
  if (who.kind === 'application') {
    if (requested !== undefined && requested !== null && requested !== who.applicationId) {
      throw new TenancyError('FORBIDDEN', 'An application key may only create resources for its own application');
    }
    return who.applicationId;
  }
  if (requested === undefined || requested === null) return null;
  if (!(await store.tenancy.applications.get(requested))) {
    throw new TenancyError('APPLICATION_NOT_FOUND', `No application ${requested}`);
  }
  return requested;
}
