// An application's call handling (ApplicationCallHandling, stored with the application) with
// the node's defaults filled in, and its SIP statuses turned into the Channel port's reject
// reasons. Defaults: unanswered after the node's timeout (30 s) → 480; a limit refuses → 503;
// webhooks failing → hang up (reject the unanswered call with the unanswered status).
import type { ApplicationCallHandling, WebhookFallback } from '../../store/index.ts';
import type { RejectReason } from '../ports/index.ts';

export interface ResolvedCallHandling {
  unansweredTimeoutMs: number;
  unansweredReject: RejectReason;
  limitReject: RejectReason;
  webhookFallback: WebhookFallback;
}

/** Statuses an operator may name, and the reject reason each becomes. */
const BY_STATUS: ReadonlyMap<number, RejectReason> = new Map([
  [480, 'none'], [486, 'busy'], [603, 'decline'], [503, 'unavailable'], [403, 'forbidden'],
]);

/** Statuses allowed for unansweredStatus and for limitStatus (tenancy validation uses these). */
export const UNANSWERED_STATUSES: readonly number[] = [480, 486, 603];
export const LIMIT_STATUSES: readonly number[] = [486, 503];

export function resolveCallHandling(
  h: ApplicationCallHandling | undefined,
  node: { unansweredTimeoutMs: number; unansweredReject: RejectReason },
): ResolvedCallHandling {
  return {
    unansweredTimeoutMs: h?.unansweredTimeoutMs ?? node.unansweredTimeoutMs,
    unansweredReject: (h?.unansweredStatus !== undefined ? BY_STATUS.get(h.unansweredStatus) : undefined) ?? node.unansweredReject,
    limitReject: (h?.limitStatus !== undefined ? BY_STATUS.get(h.limitStatus) : undefined) ?? 'unavailable',
    webhookFallback: h?.webhookFallback ?? { action: 'hangup' },
  };
}
