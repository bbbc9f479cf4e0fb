// Requests the transaction layer writes itself: the ACK for a non-2xx final response
// (§17.1.1.3) and CANCEL (§9.1). (Its own responses — 100, 200/481 to CANCEL — come from
// sip/message createResponse.) Header values are copied raw from the INVITE so that nothing
// the peer compares is re-serialized (To, From, Call-ID).
import { SipRequest } from '../message/index.ts';
import type { SipResponse } from '../message/index.ts';
import type { HeaderField } from '../message/index.ts';

function raw(msg: SipRequest | SipResponse, name: string): string {
  const v = msg.get(name);
  if (v === undefined) throw new Error(`message lacks ${name}`);
  return v;
}

/** The top Via value only, as it appeared (§9.1 and §17.1.1.3: one Via, the request's top one). */
function topViaValue(req: SipRequest): string {
  const v = req.getAll('via')[0];
  if (v === undefined) throw new Error('request lacks Via');
  return v;
}

function routeLines(req: SipRequest, out: HeaderField[]): void {
  for (const h of req.headers) if (h.name === 'route') out.push({ name: 'route', value: h.value });
}

/**
 * RFC 3261 §17.1.1.3: ACK for a non-2xx final response, built by the INVITE client transaction.
 * Same Request-URI, Call-ID, From, CSeq number and top Via (hence branch) as the INVITE; the To
 * of the response (with its tag); the INVITE's Route header fields.
 */
export function buildNon2xxAck(invite: SipRequest, res: SipResponse): SipRequest {
  const headers: HeaderField[] = [
    { name: 'via', value: topViaValue(invite) },
    { name: 'max-forwards', value: '70' },
    { name: 'from', value: raw(invite, 'from') },
    { name: 'to', value: raw(res, 'to') },
    { name: 'call-id', value: raw(invite, 'call-id') },
    { name: 'cseq', value: `${invite.cseq?.seq ?? 0} ACK` },
  ];
  routeLines(invite, headers);
  return new SipRequest('ACK', invite.uri, headers);
}

/**
 * RFC 3261 §9.1: CANCEL has the Request-URI, Call-ID, To, From and CSeq number of the request
 * it cancels, a single Via equal to that request's top Via, and the same Route header fields.
 */
export function buildCancel(invite: SipRequest): SipRequest {
  const headers: HeaderField[] = [
    { name: 'via', value: topViaValue(invite) },
    { name: 'max-forwards', value: '70' },
    { name: 'from', value: raw(invite, 'from') },
    { name: 'to', value: raw(invite, 'to') },
    { name: 'call-id', value: raw(invite, 'call-id') },
    { name: 'cseq', value: `${invite.cseq?.seq ?? 0} CANCEL` },
  ];
  routeLines(invite, headers);
  return new SipRequest('CANCEL', invite.uri, headers);
}
