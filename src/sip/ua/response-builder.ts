// Building a response to a request (RFC 3261 §8.2.6.2): Via, From, To, Call-ID and CSeq are
// copied; the UAS adds its To tag. Kept private to the UA so that it controls exactly which
// headers a dialog-creating response carries (Record-Route, Contact, Allow, Supported).
import { reasonPhrase, SipResponse } from '../message/index.ts';
import type { SipRequest } from '../message/index.ts';

export interface ResponseOptions {
  /** To tag to add when the request's To has none; default none. */
  toTag?: string;
  /** Extra headers, appended in order; default none. */
  headers?: ReadonlyArray<readonly [string, string]>;
  /** Body; default empty. */
  body?: Buffer | string;
  /** Content-Type for a non-empty body; default none. */
  contentType?: string;
  /** Copy Record-Route from the request (dialog-creating 1xx/2xx, §12.1.1); default false. */
  recordRoute?: boolean;
}

/**
 * Whether the request's To carries a tag. A malformed To (RFC 4475 quotbal, baddn) must still
 * get its 400, so when the header does not parse we look for the tag in the raw value instead
 * of letting the parse error escape and leave the request unanswered.
 */
function hasToTag(req: SipRequest): boolean {
  try {
    return req.toTag !== undefined;
  } catch {
    return /;\s*tag\s*=/i.test(req.get('to') ?? '');
  }
}

export function buildResponse(req: SipRequest, status: number, reason?: string, opts: ResponseOptions = {}): SipResponse {
  const res = new SipResponse(status, reason ?? reasonPhrase(status));
  for (const h of req.headers) if (h.name === 'via') res.headers.push({ name: 'via', value: h.value });
  if (opts.recordRoute) {
    for (const h of req.headers) if (h.name === 'record-route') res.headers.push({ name: 'record-route', value: h.value });
  }
  res.add('from', req.get('from') ?? '');
  const to = req.get('to') ?? '';
  // §8.2.6.2: a tag is added only if the request had none (and never to a 100 Trying).
  res.add('to', opts.toTag && !hasToTag(req) && status > 100 ? `${to};tag=${opts.toTag}` : to);
  res.add('call-id', req.callId ?? '');
  res.add('cseq', req.get('cseq') ?? '');
  for (const [n, v] of opts.headers ?? []) res.add(n, v);
  if (opts.body !== undefined && opts.body.length > 0) {
    res.body = typeof opts.body === 'string' ? Buffer.from(opts.body) : opts.body;
    if (opts.contentType) res.set('content-type', opts.contentType);
  }
  return res;
}
