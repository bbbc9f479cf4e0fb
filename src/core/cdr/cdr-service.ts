// Reading CDRs with tenant isolation: an application sees only its own records; the operator
// sees all. Pages are oldest first by start time; pass the last id as `afterId` for the next.
import type { Store } from '../../store/index.ts';
import type { Principal } from '../tenancy/index.ts';
import type { CallCdr, LegCdr } from './cdr.ts';

export interface CdrListQuery {
  /** Inclusive, ms since the epoch; default none. */
  since?: number;
  /** Exclusive, ms; default none. */
  until?: number;
  /** 'call' | 'leg'; default both. */
  kind?: 'call' | 'leg';
  callId?: string;
  afterId?: string;
  /** Default 100, at most 1000. */
  limit?: number;
}

export class CdrService {
  constructor(private readonly store: Store) {}

  async list(who: Principal, q: CdrListQuery = {}): Promise<(CallCdr | LegCdr)[]> {
    const rows = await this.store.calls.cdrs.list({ ...q, ...(who.kind === 'application' ? { applicationId: who.applicationId } : {}) });
    return rows.map((r) => r.record as unknown as CallCdr | LegCdr);
  }

  /** The call-level CDR of one call, or undefined (also for another application's call). */
  async getForCall(who: Principal, callId: string): Promise<CallCdr | undefined> {
    const r = await this.store.calls.cdrs.get(callId);
    if (!r || r.kind !== 'call' || (who.kind === 'application' && r.applicationId !== who.applicationId)) return undefined;
    return r.record as unknown as CallCdr;
  }
}
