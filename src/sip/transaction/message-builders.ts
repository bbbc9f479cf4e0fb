// Messages the transaction layer writes itself: the ACK for a non-2xx final response
// (§17.1.1.3), CANCEL (§9.1), and the few responses it sends on its own behalf — 100 Trying
// (§17.2.1), 200/481 to CANCEL (§9.2). Header values are copied raw from the request so that
// nothing is re-serialized that the peer compares byte-wise (To, From, Call-ID).
// TODO(switch to '../message/index.ts' once it exists): imported directly meanwhile.
import { SipRequest, SipResponse } from '../message/sip-message.ts';
import type { HeaderField } from '../message/types.ts';

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

/**
 * A response written by the transaction layer itself (§8.2.6): Via lines, From, Call-ID and
 * CSeq copied, To copied with `toTag` added when the request's To has none. Timestamp is
 * copied for 100 Trying (§8.2.6.1).
 */
export function buildResponse(req: SipRequest, status: number, reason: string, toTag?: string): SipResponse {
  const headers: HeaderField[] = [];
  for (const h of req.headers) if (h.name === 'via') headers.push({ name: 'via', value: h.value });
  let to = raw(req, 'to');
  if (toTag !== undefined && req.toTag === undefined) to += `;tag=${toTag}`;
  headers.push(
    { name: 'from', value: raw(req, 'from') },
    { name: 'to', value: to },
    { name: 'call-id', value: raw(req, 'call-id') },
    { name: 'cseq', value: raw(req, 'cseq') },
  );
  if (status === 100) {
    const ts = req.get('timestamp');
    if (ts !== undefined) headers.push({ name: 'timestamp', value: ts });
  }
  return new SipResponse(status, reason, headers);
}
