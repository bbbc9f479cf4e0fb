// Field checks shared by the tenancy services. Faces validate shapes with their own schemas;
// these are the domain rules, applied whatever the entry point (API, config file, CLI).
import { isIP } from 'node:net';
import type { Issues } from './tenancy-error.ts';

/** Names of applications and trunks: what a person types and a config file repeats. */
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
/** E.164 prefixes used in allow-lists: "+" and 1..15 digits. */
const PREFIX_RE = /^\+\d{1,15}$/;
const HOST_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?$/;
/** RFC 3261 §25.1 "user" unreserved + escaped-free subset, as the registrar accepts. */
export const SIP_USERNAME_RE = /^[A-Za-z0-9._!~*'()&=+$,;?/-]{1,64}$/;

export function checkName(issues: Issues, path: string, v: string): void {
  if (!NAME_RE.test(v)) issues.add(path, 'must be 1-64 letters, digits, spaces, ".", "_" or "-", starting with a letter or digit');
}

export function checkUrl(issues: Issues, path: string, v: string): void {
  let u: URL | undefined;
  try {
    u = new URL(v);
  } catch { /* reported below */ }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) issues.add(path, 'must be an http:// or https:// URL');
}

export function checkPrefixes(issues: Issues, path: string, v: readonly string[]): void {
  v.forEach((p, i) => {
    if (!PREFIX_RE.test(p)) issues.add(`${path}/${i}`, 'must be "+" followed by 1-15 digits');
  });
}

export function checkOptionalNonNegative(issues: Issues, path: string, v: number | null | undefined, integer: boolean): void {
  if (v === null || v === undefined) return;
  if (!Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
    issues.add(path, integer ? 'must be an integer >= 0, or null for no limit' : 'must be a number >= 0, or null for no limit');
  }
}

export function checkHost(issues: Issues, path: string, v: string): void {
  if (isIP(v) === 0 && !HOST_RE.test(v)) issues.add(path, 'must be an IP address or host name (no scheme or port)');
}

export function checkCidr(issues: Issues, path: string, v: string): void {
  const [addr, prefix, extra] = v.split('/');
  const family = isIP(addr ?? '');
  const max = family === 4 ? 32 : 128;
  if (family === 0 || extra !== undefined || (prefix !== undefined && (!/^\d+$/.test(prefix) || Number(prefix) > max))) {
    issues.add(path, 'must be an IP address or CIDR (e.g. 203.0.113.0/24)');
  }
}
