// Routing of a new inbound INVITE to what owns the dialed address, from the numbers table:
// the Request-URI's user (else the To URI's, for peers that put the number only there) is
// normalised to E.164 and looked up as an exact number, then as the longest matching DID block
// ("+4930123*"); a non-numeric user is looked up as a SIP URI (sip:user@host, with and without
// the port), then as the domain's catch-all (sip:*@host). First match wins.
//
// It decides only; it never answers the INVITE (the SIP service does, 404 on no route).
import type { Participant } from '../core/index.ts';
import { parseUri, type SipRequest, type Uri } from '../sip/index.ts';

/** A number row as the store has it (structurally; adapters may not import store/). */
export interface NumberEntry {
  pattern: string;
  kind: 'e164' | 'e164-prefix' | 'sip-uri';
  applicationId: string | null;
  targetType: 'application' | 'robot' | 'meeting' | 'diagnostic';
  target: string | null;
}

/** Where number routes are read from (the store's number repository satisfies it). */
export interface NumberDirectory {
  getByPattern(pattern: string): Promise<NumberEntry | undefined>;
  /** The 'e164-prefix' entry with the longest prefix `number` starts with (one indexed query, not a scan). */
  longestPrefixFor(number: string): Promise<NumberEntry | undefined>;
}

export interface InboundRoute {
  entry: NumberEntry;
  /** The called party as routed: the normalised number, or the SIP URI. */
  to: Participant;
}

export interface InboundRouterOptions {
  numbers: NumberDirectory;
  /** Country code without '+' for national numbers (0…) in the Request-URI; default none. */
  homeCountryCode?: string;
}

const E164 = /^\+[1-9]\d{1,14}$/;

/**
 * A dialed string in E.164, when it can be read as one: visual separators (RFC 3966 §5.1.1)
 * dropped, "00" → "+", a national "0…" with the home country code, bare digits taken as
 * international (what most carriers send without the "+").
 */
export function normaliseE164(raw: string, homeCountryCode?: string): string | undefined {
  const s = raw.split(';')[0].replace(/[\s\-.()]/g, '');
  let n: string;
  if (s.startsWith('+')) n = s;
  else if (!/^\d+$/.test(s)) return undefined;
  else if (s.startsWith('00')) n = `+${s.slice(2)}`;
  else if (s.startsWith('0') && homeCountryCode) n = `+${homeCountryCode}${s.slice(1)}`;
  else n = `+${s}`;
  return E164.test(n) ? n : undefined;
}

/** The caller as a participant: an E.164 phone number when the From user reads as one, else its SIP URI. */
export function callerParticipant(req: SipRequest, homeCountryCode?: string): Participant {
  const from = req.from?.uri;
  if (!from) return { kind: 'sip', uri: 'sip:anonymous@anonymous.invalid' };
  const user = from.user ?? '';
  const phone = /^\+?[\d\s\-.()]+$/.test(user.split(';')[0]) ? normaliseE164(user, homeCountryCode) : undefined;
  if (phone) return { kind: 'phone', number: phone };
  return { kind: 'sip', uri: `sip:${user ? `${user}@` : ''}${from.host}` };
}

export class InboundRouter {
  constructor(private readonly o: InboundRouterOptions) {}

  async route(req: SipRequest): Promise<InboundRoute | undefined> {
    const candidates: Uri[] = [req.requestUri];
    const to = req.to?.uri;
    if (to && to.user !== req.requestUri.user) candidates.push(to);
    for (const uri of candidates) {
      const r = await this.routeUri(uri);
      if (r) return r;
    }
    return undefined;
  }

  /** Whether a number or SIP URI of this node routes somewhere (an outbound dial to it loops back to us). */
  async routes(uri: string): Promise<boolean> {
    try {
      return (await this.routeUri(parseUri(uri))) !== undefined;
    } catch {
      return false;
    }
  }

  private async routeUri(uri: Uri): Promise<InboundRoute | undefined> {
    const user = uri.user ?? '';
    const number = user ? normaliseE164(user, this.o.homeCountryCode) : undefined;
    if (number) {
      const exact = await this.o.numbers.getByPattern(number);
      if (exact) return { entry: exact, to: { kind: 'phone', number } };
      const block = await this.o.numbers.longestPrefixFor(number);
      if (block) return { entry: block, to: { kind: 'phone', number } };
    }
    if (!user) return undefined;
    const host = uri.host.toLowerCase();
    const hosts = uri.port !== undefined ? [`${host}:${uri.port}`, host] : [host];
    for (const scheme of uri.scheme === 'sips' ? ['sips', 'sip'] : ['sip']) {
      for (const h of hosts) {
        const e = await this.o.numbers.getByPattern(`${scheme}:${user}@${h}`) ?? await this.o.numbers.getByPattern(`${scheme}:*@${h}`);
        if (e) return { entry: e, to: { kind: 'sip', uri: `sip:${user}@${h}` } };
      }
    }
    return undefined;
  }
}
