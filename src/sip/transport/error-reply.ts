// Stateless answers the transport itself gives to requests it cannot pass up: a request that
// failed to parse but could be identified gets its 400/505 right away (RFC 3261 §8.2.2 and
// §16.3 behaviour at the edge, RFC 4475 torture cases), and a stream whose framing is lost
// gets a 400 built from whatever header lines were read before the connection is closed.
// Responses that fail to parse are never answered (§18.1.2: they are silently dropped).
import { randomBytes } from 'node:crypto';
import { createResponse, SipRequest } from '../message/index.ts';
import type { HeaderField, SipParseError } from '../message/index.ts';
import { stampVia } from './via-stamp.ts';

/** A To tag for stateless error responses (§8.2.6.2): random per process, counted per reply. */
const TAG_PREFIX = randomBytes(4).toString('hex');
let tagSeq = 0;
function errorTag(): string {
  tagSeq = (tagSeq + 1) % 0x7fffffff;
  return `${TAG_PREFIX}${tagSeq.toString(36)}`;
}

/** The broken request a SipParseError carries, if any (absent for responses). */
export function partialRequest(err: unknown): SipRequest | undefined {
  const p = (err as Partial<SipParseError> | null)?.partial;
  return p instanceof SipRequest ? p : undefined;
}

/**
 * The response to send for a request that failed to parse, or undefined when it cannot be
 * answered (a response, or no top Via to route the answer by). The partial request's Via is
 * stamped with received/rport first so the answer is routed like any other (§18.2.2).
 */
export function errorResponseFor(
  req: SipRequest, status: number, reason: string | undefined, address: string, port: number,
) {
  if (req.method === 'ACK') return undefined; // §17.2.1: ACK is never answered
  if (!req.headers.some((h) => h.name === 'via')) return undefined;
  stampVia(req, address, port);
  return createResponse(req, status, reason, { toTag: errorTag() });
}

const NEEDED: Record<string, string> = {
  via: 'via', v: 'via', from: 'from', f: 'from', to: 'to', t: 'to', 'call-id': 'call-id', i: 'call-id', cseq: 'cseq',
};
const REQUEST_LINE_RE = /^([A-Za-z0-9.!%*_+`'~-]+) (\S+) SIP\/2\.0$/i;

/**
 * Rebuild the identifying part of a request from the complete header lines read before
 * stream framing failed (start line first). Undefined when the start line is not a request
 * line or no Via was read: then the connection is just closed.
 */
export function salvageRequest(head: Buffer): SipRequest | undefined {
  const lines = head.toString('latin1').split(/\r?\n/);
  const m = REQUEST_LINE_RE.exec(lines[0] ?? '');
  if (!m) return undefined;
  const headers: HeaderField[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = NEEDED[line.slice(0, colon).trim().toLowerCase()];
    if (name) headers.push({ name, value: line.slice(colon + 1).trim() });
  }
  if (!headers.some((h) => h.name === 'via')) return undefined;
  return new SipRequest(m[1].toUpperCase(), m[2], headers);
}
