// Small helpers over an `a=` list (session or media level). Callers edit descriptions through
// these so the attribute list stays the single source of truth for the serializer.

import type { Attribute, Direction } from './types.ts';

export const DIRECTIONS: readonly Direction[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

/** Value of the first attribute with this name: '' for a property attribute, undefined if absent. */
export function getAttribute(attrs: readonly Attribute[], name: string): string | undefined {
  for (const a of attrs) if (a.name === name) return a.value ?? '';
  return undefined;
}

export function hasAttribute(attrs: readonly Attribute[], name: string): boolean {
  for (const a of attrs) if (a.name === name) return true;
  return false;
}

/** Values of every attribute with this name, in order. */
export function getAttributes(attrs: readonly Attribute[], name: string): string[] {
  const out: string[] = [];
  for (const a of attrs) if (a.name === name) out.push(a.value ?? '');
  return out;
}

/** Remove every attribute with this name (in place). */
export function removeAttributes(attrs: Attribute[], name: string): void {
  let j = 0;
  for (let i = 0; i < attrs.length; i++) if (attrs[i]!.name !== name) attrs[j++] = attrs[i]!;
  attrs.length = j;
}

/**
 * The direction attribute of one level, if any (RFC 8866 §6.7). Several are a peer bug; the
 * first wins, as most stacks do.
 */
export function directionOf(attrs: readonly Attribute[]): Direction | undefined {
  for (const a of attrs) if (a.value === undefined && (DIRECTIONS as readonly string[]).includes(a.name)) return a.name as Direction;
  return undefined;
}

/** Set the direction of one level (in place), replacing any existing one where it stood. */
export function setDirection(attrs: Attribute[], dir: Direction): void {
  const i = attrs.findIndex((a) => a.value === undefined && (DIRECTIONS as readonly string[]).includes(a.name));
  if (i < 0) {
    attrs.push({ name: dir });
    return;
  }
  attrs[i] = { name: dir };
  for (let k = attrs.length - 1; k > i; k--) {
    const a = attrs[k]!;
    if (a.value === undefined && (DIRECTIONS as readonly string[]).includes(a.name)) attrs.splice(k, 1);
  }
}

/** Parse `a=fmtp` parameters `key=value;flag;key2=value2` into a map (keys lower-cased). */
export function parseFmtpParams(fmtp: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of fmtp.split(';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) out.set(p.toLowerCase(), '');
    else out.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
  }
  return out;
}
