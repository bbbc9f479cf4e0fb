// SIP URI comparison (RFC 3261 §19.1.4), used to decide whether a Contact in a REGISTER is a
// binding we already hold. Not a general-purpose equality: non-SIP schemes compare by their
// text (case-insensitive scheme), which is all a registrar needs for tel:/mailto: contacts.
import type { Uri } from '../message/index.ts';

/** Parameters that, present in either URI, must be present and equal in both (§19.1.4). */
const MUST_MATCH = ['user', 'ttl', 'method', 'maddr', 'transport'];

export function sameUri(a: Uri, b: Uri): boolean {
  if (a.scheme !== b.scheme) return false;
  if (a.scheme !== 'sip' && a.scheme !== 'sips') {
    const strip = (u: Uri): string => u.raw.slice(u.raw.indexOf(':') + 1);
    return strip(a) === strip(b);
  }
  // userinfo compares case-sensitively after unescaping; the parser already unescaped it.
  if ((a.user ?? '') !== (b.user ?? '') || (a.password ?? '') !== (b.password ?? '')) return false;
  if (a.host.toLowerCase() !== b.host.toLowerCase()) return false;
  // "a URI omitting any component with a default value will not match a URI explicitly
  // containing that component with its default value": so 5060 ≠ absent.
  if (a.port !== b.port) return false;
  for (const name of MUST_MATCH) {
    if (a.params.has(name) !== b.params.has(name)) return false;
  }
  for (const [name, va] of a.params) {
    if (!b.params.has(name)) continue;
    const vb = b.params.get(name);
    if ((va ?? '').toLowerCase() !== (vb ?? '').toLowerCase()) return false;
  }
  if (a.headers.size !== b.headers.size) return false;
  for (const [name, va] of a.headers) {
    let found = false;
    for (const [nb, vb] of b.headers) if (nb.toLowerCase() === name.toLowerCase() && vb === va) found = true;
    if (!found) return false;
  }
  return true;
}
