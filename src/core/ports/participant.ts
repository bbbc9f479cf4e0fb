// Who is on a leg, as a typed identifier (ARCHITECTURE.md "Identities and addressing"). Faces
// map their own identifier shapes onto these; core never parses a SIP header to find them.
import { E164_RE } from '../tenancy/index.ts';

export type Participant =
  | { kind: 'phone'; number: string }
  | { kind: 'sip'; uri: string }
  | { kind: 'webrtc'; user: string }
  | { kind: 'application'; applicationId: string };

/** A short stable string for logs, CDRs and equality: "phone:+4930…", "sip:alice@…". */
export function participantKey(p: Participant): string {
  switch (p.kind) {
    case 'phone': return `phone:${p.number}`;
    case 'sip': return p.uri.startsWith('sip') ? p.uri : `sip:${p.uri}`;
    case 'webrtc': return `webrtc:${p.user}`;
    case 'application': return `application:${p.applicationId}`;
  }
}

/** Why `p` is not a valid participant, or undefined when it is. */
export function participantProblem(p: unknown): string | undefined {
  if (typeof p !== 'object' || p === null) return 'must be an object with a kind';
  const o = p as Record<string, unknown>;
  switch (o.kind) {
    case 'phone': return typeof o.number === 'string' && E164_RE.test(o.number) ? undefined : 'phone number must be E.164 (+ then digits)';
    case 'sip': return typeof o.uri === 'string' && /^sips?:[^\s@]+@[^\s]+$/.test(o.uri) ? undefined : 'sip uri must look like sip:user@host';
    case 'webrtc': return typeof o.user === 'string' && o.user.length > 0 ? undefined : 'webrtc user must be a non-empty string';
    case 'application': return typeof o.applicationId === 'string' && o.applicationId.length > 0 ? undefined : 'applicationId must be a non-empty string';
    default: return 'kind must be phone, sip, webrtc or application';
  }
}
