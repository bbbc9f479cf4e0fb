// The Replaces header (RFC 3891 §6.1): which dialog a new INVITE takes the place of.
//
//   Replaces: 98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff;early-only
//             └──── Call-ID ───────┘ └── params, any order; tags from the RECEIVER's view ──┘
//
// §3: the receiving UA matches to-tag against its LOCAL tag and from-tag against its REMOTE
// tag. Parsing only; what to do with a match is the UserAgent's business (§3 rules there).

export interface ReplacesValue {
  callId: string;
  /** Tag of the dialog at the UA that receives the INVITE (its local tag). */
  toTag: string;
  /** Tag of the other end of that dialog (the receiver's remote tag). */
  fromTag: string;
  /** Only an early dialog may be replaced (RFC 3891 §3: a confirmed one then gets 486). */
  earlyOnly: boolean;
}

/** Parses a Replaces value; undefined when the Call-ID or either tag is missing (→ 400). */
export function parseReplaces(raw: string): ReplacesValue | undefined {
  const [callId, ...params] = raw.trim().split(';').map((p) => p.trim());
  if (!callId || /\s/.test(callId)) return undefined;
  let toTag: string | undefined;
  let fromTag: string | undefined;
  let earlyOnly = false;
  for (const p of params) {
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? '' : p.slice(eq + 1);
    if (name === 'to-tag') toTag = value;
    else if (name === 'from-tag') fromTag = value;
    else if (name === 'early-only') earlyOnly = true;
  }
  if (!toTag || !fromTag) return undefined;
  return { callId, toTag, fromTag, earlyOnly };
}

/** Serializes a Replaces value (the form a Refer-To header parameter escapes, RFC 3891 §5). */
export function formatReplaces(v: ReplacesValue): string {
  return `${v.callId};to-tag=${v.toTag};from-tag=${v.fromTag}${v.earlyOnly ? ';early-only' : ''}`;
}
