// Transaction matching keys (RFC 3261 §17.1.3 for responses, §17.2.3 for requests).
// A key is a plain string so that matching is one Map lookup per message.
import type { SipRequest, SipResponse } from '../message/index.ts';
import { isRfc3261Branch } from './branch.ts';
import { defaultPort } from './response-destination.ts';

// A separator that cannot occur in a token, host or URI on the wire.
const SEP = '\u0001';

/** §17.1.3: a client transaction is identified by its branch and its CSeq method. */
export function clientKey(branch: string, method: string): string {
  return branch + SEP + method;
}

/** The client key a response belongs to, or undefined when it has no branch or CSeq. */
export function responseKey(res: SipResponse): string | undefined {
  const branch = res.topVia?.branch;
  const method = res.cseq?.method;
  if (branch === undefined || method === undefined) return undefined;
  return clientKey(branch, method);
}

/**
 * The server key of a request, computed as if its method were `method` (ACK and CANCEL are
 * looked up as 'INVITE' to find the INVITE transaction they belong to).
 *
 * §17.2.3: with an RFC 3261 branch, the key is branch + sent-by + method. Without the magic
 * cookie (RFC 2543 peers) it is Request-URI, From tag, Call-ID, CSeq number, top Via and
 * method; the To tag is checked by the transaction itself (`is2543` below), because for an
 * ACK it must equal the tag of the response and not that of the INVITE.
 * Returns undefined when the request lacks a Via.
 */
export function serverKey(req: SipRequest, method: string): string | undefined {
  const via = req.topVia;
  if (via === undefined) return undefined;
  const host = via.host.toLowerCase();
  const port = via.port ?? defaultPort(via.transport);
  if (isRfc3261Branch(via.branch)) return via.branch + SEP + host + ':' + port + SEP + method;
  const cseq = req.cseq;
  if (cseq === undefined) return undefined;
  return '2543' + SEP + req.uri + SEP + (req.fromTag ?? '') + SEP + (req.callId ?? '') + SEP + cseq.seq + SEP +
    via.transport + SEP + host + ':' + port + SEP + (via.branch ?? '') + SEP + method;
}

/** Whether a request is matched by the RFC 2543 rules (no magic cookie in its top Via branch). */
export function is2543(req: SipRequest): boolean {
  return !isRfc3261Branch(req.topVia?.branch);
}
