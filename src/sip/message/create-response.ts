// Build the response to a request as a UAS does (RFC 3261 §8.2.6). Works from the raw
// header strings so that it can also answer a request that failed to parse
// (SipParseError.partial) — the 400 for a broken From must not need a parsed From.
// Adding Record-Route to dialog-creating responses (§12.1.1) is the UA's job, not this one's.
import { normalizeHeaderName } from './header-names.ts';
import { reasonPhrase } from './reasons.ts';
import type { SipRequest } from './sip-message.ts';
import { SipResponse } from './sip-message.ts';
import type { HeaderField } from './types.ts';

export interface CreateResponseOptions {
  /** Tag added to To when the request's To has none and status is not 100; default: no tag added. */
  toTag?: string;
  /** Extra header lines appended after the copied ones; default none. */
  headers?: [string, string][];
  /** Response body; default empty. */
  body?: Buffer;
  /** Content-Type for `body`; default none (not written). */
  contentType?: string;
}

const TAG_RE = /;\s*tag\s*=/i;

/** §8.2.6.2: copy Via (all, in order), From, To, Call-ID, CSeq; Timestamp too on a 100 (§8.2.6.1). */
export function createResponse(
  req: SipRequest, status: number, reason?: string, opts?: CreateResponseOptions,
): SipResponse {
  const headers: HeaderField[] = [];
  for (const h of req.headers) {
    switch (h.name) {
      case 'via':
      case 'from':
      case 'call-id':
      case 'cseq':
        headers.push({ name: h.name, value: h.value });
        break;
      case 'to': {
        let v = h.value;
        if (status !== 100 && opts?.toTag !== undefined && !hasTag(req, v)) v = `${v};tag=${opts.toTag}`;
        headers.push({ name: 'to', value: v });
        break;
      }
      case 'timestamp':
        if (status === 100) headers.push({ name: 'timestamp', value: h.value });
        break;
      default:
    }
  }
  if (opts?.headers) for (const [n, v] of opts.headers) headers.push({ name: normalizeHeaderName(n), value: v });
  const res = new SipResponse(status, reason ?? reasonPhrase(status), headers, opts?.body);
  if (opts?.contentType !== undefined) res.set('content-type', opts.contentType);
  return res;
}

/** Whether To already has a tag; falls back to a text search when To does not parse. */
function hasTag(req: SipRequest, raw: string): boolean {
  try {
    return req.toTag !== undefined;
  } catch {
    // A tag inside a quoted display name would fool this, but only for a To we could not parse.
    return TAG_RE.test(raw.slice(raw.lastIndexOf('>') + 1));
  }
}
