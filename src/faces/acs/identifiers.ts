// ACS CommunicationIdentifierModel (vendor-apis.md A.3) ↔ core Participant. The JS SDK sends
// identifiers without `kind` (older versions) or with it (1.5.1+): the kind is inferred from
// the sub-object present, then from the rawId prefix. We always emit `kind`.
//   4:+E164        phone number → goes out through the application's trunks
//   8:acs:<user>   ACS user     → the registered SIP user <user> (sip:<user>@<sipDomain>)
//   {value: +E164} PhoneNumberIdentifierModel (sourceCallerIdNumber) → phone number
// Teams users and apps have no Switchboard equivalent: they are refused with a clear message.
import type { Participant } from '../../core/index.ts';

export interface IdentifierModel {
  kind?: string;
  rawId?: string;
  communicationUser?: { id: string };
  phoneNumber?: { value: string; isAnonymous?: boolean };
  microsoftTeamsUser?: { userId: string };
  microsoftTeamsApp?: { appId: string };
}

const ACS_USER_RE = /^8:(acs|spool|dod-acs|gcch-acs):(.+)$/;

/** The participant an identifier names, or a reason it cannot be one. */
export function toParticipant(raw: unknown, sipDomain: string): Participant | { problem: string } {
  if (typeof raw !== 'object' || raw === null) return { problem: 'must be a CommunicationIdentifierModel' };
  const id = raw as IdentifierModel & { value?: unknown };
  // A PhoneNumberIdentifierModel ({value, isAnonymous?}) where ACS wants a phone number only
  // (sourceCallerIdNumber): the SDK sends it without rawId or kind.
  if (typeof id.value === 'string' && id.rawId === undefined && id.phoneNumber === undefined) {
    return /^\+[1-9][0-9]{1,14}$/.test(id.value) ? { kind: 'phone', number: id.value } : { problem: `phone number ${id.value} is not E.164` };
  }
  const phone = id.phoneNumber?.value ?? (id.rawId?.startsWith('4:') ? id.rawId.slice(2) : undefined);
  if (phone !== undefined && (id.kind === undefined || id.kind === 'phoneNumber' || id.phoneNumber)) {
    return /^\+[1-9][0-9]{1,14}$/.test(phone) ? { kind: 'phone', number: phone } : { problem: `phone number ${phone} is not E.164` };
  }
  const user = id.communicationUser?.id ?? id.rawId;
  const m = user !== undefined ? ACS_USER_RE.exec(user) : null;
  if (m && (id.kind === undefined || id.kind === 'communicationUser' || id.communicationUser)) {
    return { kind: 'sip', uri: `sip:${m[2]}@${sipDomain}` };
  }
  if (id.microsoftTeamsUser || id.microsoftTeamsApp) return { problem: 'Teams identities are not supported by Switchboard' };
  return { problem: 'unknown identifier (expected a phone number 4:+E164 or an ACS user 8:acs:…)' };
}

/** The identifier model of a participant, with `kind` and `rawId`. */
export function toIdentifier(p: Participant): Record<string, unknown> {
  switch (p.kind) {
    case 'phone': return { kind: 'phoneNumber', rawId: `4:${p.number}`, phoneNumber: { value: p.number, isAnonymous: false } };
    case 'sip': {
      const user = /^sips?:([^@]+)@/.exec(p.uri)?.[1] ?? p.uri;
      return { kind: 'communicationUser', rawId: `8:acs:${user}`, communicationUser: { id: `8:acs:${user}` } };
    }
    case 'webrtc': return { kind: 'communicationUser', rawId: `8:acs:${p.user}`, communicationUser: { id: `8:acs:${p.user}` } };
    case 'application': return { kind: 'communicationUser', rawId: `8:acs:app-${p.applicationId}`, communicationUser: { id: `8:acs:app-${p.applicationId}` } };
  }
}

/** rawId of a participant (participants/{participantRawId} paths). */
export const rawIdOf = (p: Participant): string => toIdentifier(p).rawId as string;

const TONES: Record<string, string> = {
  zero: '0', one: '1', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8', nine: '9',
  a: 'A', b: 'B', c: 'C', d: 'D', pound: '#', asterisk: '*',
};
const NAMES: Record<string, string> = Object.fromEntries(Object.entries(TONES).map(([k, v]) => [v, k]));

/** ACS tone name ('five', 'pound') → DTMF character; undefined when unknown. */
export const toneChar = (name: unknown): string | undefined => (typeof name === 'string' ? TONES[name.toLowerCase()] : undefined);
/** DTMF character → ACS tone name. */
export const toneName = (c: string): string => NAMES[c.toUpperCase()] ?? c;

/** A CallParticipant (vendor-apis.md A.2): identifier with kind, isMuted, isOnHold. */
export const callParticipant = (p: Participant, flags: { muted?: boolean; onHold?: boolean }): Record<string, unknown> =>
  ({ identifier: toIdentifier(p), isMuted: flags.muted === true, isOnHold: flags.onHold === true });

/**
 * The Switchboard call id inside an ACS serverCallId (base64 of 'sb:<callId>', see
 * serverCallIdOf in ./callback-events.ts); undefined when it is not one of ours — a real
 * Azure serverCallId names a call Switchboard never had.
 */
export function callIdOfServerCallId(serverCallId: unknown): string | undefined {
  if (typeof serverCallId !== 'string' || serverCallId.length === 0 || serverCallId.length > 512) return undefined;
  const text = Buffer.from(serverCallId, 'base64').toString('utf8');
  const m = /^sb:([A-Za-z0-9._-]{1,128})$/.exec(text);
  // Round-trip so that junk that happens to decode is refused too.
  return m && Buffer.from(text).toString('base64') === serverCallId ? m[1] : undefined;
}
