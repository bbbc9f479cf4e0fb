// The address-of-record key under which bindings are stored (RFC 3261 §10.3 step 5): the To
// URI with every URI parameter and header removed and escapes undone. Host and scheme are
// case-folded, and sips: folds into sip: because a SIPS AOR and its SIP twin name the same
// user (RFC 5630 §3.1.2); the port stays, since it is part of the domain's identity.
import type { Uri } from '../message/index.ts';

/** Whether a URI can be an AOR for this registrar at all (RFC 3261 §10.2: SIP or SIPS). */
export function isSipUri(u: Uri): boolean {
  return u.scheme === 'sip' || u.scheme === 'sips';
}

export function aorKey(u: Uri): string {
  const user = u.user === undefined || u.user === '' ? '' : `${u.user}@`;
  const port = u.port === undefined ? '' : `:${u.port}`;
  return `sip:${user}${u.host.toLowerCase()}${port}`;
}
