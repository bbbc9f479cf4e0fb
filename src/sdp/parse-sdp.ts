// parseSdp: text → SessionDescription (RFC 8866 §5, §9 grammar).
//
// Tolerant where real peers are sloppy: LF-only or CRLF line ends, blank lines, trailing
// whitespace, runs of spaces between fields, session-level lines in any order. Strict where a
// wrong guess would cost a call: v= first, exactly one o= and s=, at least one t=, well-formed
// c=/b=/m= lines, no unknown line types (RFC 8866 §5: a parser MUST ignore or reject a
// description with a type letter it does not understand — we reject). Every error names the line.
//
// One pass over the text with indexOf and split on single characters: no backtracking regex,
// so the cost is linear in the input.
//
//   session  = v o s [i] [u] *e *p [c] *b 1*(t *r) [z] [k] *a *media
//   media    = m [i] *c *b [k] *a          (we accept at most one c= per media)

import { SdpParseError } from './sdp-parse-error.ts';
import type { Bandwidth, Connection, MediaDescription, SessionDescription, Timing } from './types.ts';

/** Parse one session description. Throws SdpParseError naming the first bad line. */
export function parseSdp(input: string | Buffer): SessionDescription {
  const text = typeof input === 'string' ? input : input.toString('utf8');
  const sd: Draft = {
    emails: [], phones: [], bandwidths: [], timing: [], attributes: [], media: [],
  };
  let media: MediaDescription | undefined;
  let lineNo = 0;
  let pos = 0;
  let sawVersion = false;

  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    let line = text.slice(pos, end);
    pos = end + 1;
    lineNo++;
    // Strip CR and any trailing whitespace in one step, only when there is some.
    const lastCode = line.charCodeAt(line.length - 1);
    if (lastCode === 13 || lastCode === 32 || lastCode === 9) line = line.trimEnd();
    if (line.length === 0) continue;

    const type = line.charCodeAt(0);
    if (line.length < 2 || line.charCodeAt(1) !== 61 /* = */ || type < 97 || type > 122) {
      throw new SdpParseError('not a <type>=<value> line', lineNo, line);
    }
    try {
      media = parseLine(sd, media, type, line, sawVersion);
      sawVersion = true;
    } catch (e) {
      // Helpers throw a bare reason; the line number and text are only known here.
      if (e instanceof LineError) throw new SdpParseError(e.message, lineNo, line);
      throw e;
    }
  }

  if (!sawVersion) throw new SdpParseError('empty description (no v= line)');
  if (!sd.origin) throw new SdpParseError('missing o= line');
  if (sd.sessionName === undefined) throw new SdpParseError('missing s= line');
  if (sd.timing.length === 0) throw new SdpParseError('missing t= line');
  return sd as SessionDescription;
}

type Draft = Partial<SessionDescription> & Pick<SessionDescription, 'emails' | 'phones' | 'bandwidths' | 'timing' | 'attributes' | 'media'>;

/** A reason without a place; parseSdp adds the line. */
class LineError extends Error {}

function fail(reason: string): never {
  throw new LineError(reason);
}

/** Fold one non-empty line into the draft; returns the media section now open, if any. */
function parseLine(sd: Draft, media: MediaDescription | undefined, type: number, line: string, sawVersion: boolean): MediaDescription | undefined {
  const value = line.slice(2);

  if (!sawVersion) {
    if (type !== 118 /* v */) fail('the description must start with v=');
    if (value !== '0') fail('only SDP version 0 exists');
    sd.version = 0;
    return media;
  }

  if (type === 109 /* m */) {
    const m = parseMediaLine(value);
    sd.media.push(m);
    return m;
  }

  if (media) {
    // RFC 8866 §5: only i, c, b, k and a may appear inside a media description.
    switch (type) {
      case 97 /* a */: media.attributes.push(parseAttribute(value)); break;
      case 99 /* c */:
        if (media.connection) fail('more than one c= in a media description is not supported');
        media.connection = parseConnection(value);
        break;
      case 98 /* b */: media.bandwidths.push(parseBandwidth(value)); break;
      case 105 /* i */: media.information = value; break;
      case 107 /* k */: media.key = value; break;
      default: fail(`${line[0]}= is not allowed inside a media description`);
    }
    return media;
  }

  switch (type) {
    case 97 /* a */: sd.attributes.push(parseAttribute(value)); break;
    case 111 /* o */:
      if (sd.origin) fail('duplicate o= line');
      sd.origin = parseOrigin(value);
      break;
    case 115 /* s */:
      if (sd.sessionName !== undefined) fail('duplicate s= line');
      // RFC 8866 §5.3 wants a non-empty s=; some stacks send "s=" — accept it.
      sd.sessionName = value;
      break;
    case 99 /* c */:
      if (sd.connection) fail('duplicate session-level c= line');
      sd.connection = parseConnection(value);
      break;
    case 98 /* b */: sd.bandwidths.push(parseBandwidth(value)); break;
    case 116 /* t */: sd.timing.push(parseTiming(value)); break;
    case 114 /* r */: {
      const t = sd.timing[sd.timing.length - 1];
      if (!t) fail('r= must follow a t= line');
      t!.repeats.push(value);
      break;
    }
    case 105 /* i */: sd.information = value; break;
    case 117 /* u */: sd.uri = value; break;
    case 101 /* e */: sd.emails.push(value); break;
    case 112 /* p */: sd.phones.push(value); break;
    case 122 /* z */: sd.timeZones = value; break;
    case 107 /* k */: sd.key = value; break;
    case 118 /* v */: fail('duplicate v= line'); break;
    default: fail(`unknown line type ${line[0]}=`);
  }
  return media;
}

/** Split on single spaces, tolerating runs of spaces/tabs. */
function fields(value: string): string[] {
  const parts = value.split(' ');
  for (const p of parts) if (p.length === 0 || p.includes('\t')) return value.split(/[ \t]+/).filter((x) => x.length > 0);
  return parts;
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

// RFC 8866 §5.2
function parseOrigin(value: string): SessionDescription['origin'] {
  const f = fields(value);
  if (f.length !== 6) fail('o= needs 6 fields: username sess-id sess-version nettype addrtype address');
  if (!isDigits(f[1]!)) fail('o= sess-id must be decimal digits');
  if (!isDigits(f[2]!)) fail('o= sess-version must be decimal digits');
  return { username: f[0]!, sessId: f[1]!, sessVersion: f[2]!, netType: f[3]!, addrType: f[4]!, address: f[5]! };
}

// RFC 8866 §5.7: c=IN IP4 224.2.36.42/127/3 — the /ttl is IPv4 multicast only, /count both.
function parseConnection(value: string): Connection {
  const f = fields(value);
  if (f.length !== 3) fail('c= needs 3 fields: nettype addrtype connection-address');
  const [netType, addrType, raw] = f as [string, string, string];
  const slash = raw.indexOf('/');
  if (slash < 0) return { netType, addrType, address: raw };
  const parts = raw.split('/');
  const nums = parts.slice(1).map((p) => (isDigits(p) ? Number(p) : NaN));
  if (nums.some(Number.isNaN) || nums.length > 2) fail('c= address suffix must be /ttl[/count] (IP4) or /count (IP6)');
  const c: Connection = { netType, addrType, address: parts[0]! };
  if (addrType === 'IP6') {
    if (nums.length !== 1) fail('IP6 c= address takes only /count');
    c.numAddresses = nums[0];
  } else {
    c.ttl = nums[0];
    if (nums.length === 2) c.numAddresses = nums[1];
  }
  return c;
}

// RFC 8866 §5.8
function parseBandwidth(value: string): Bandwidth {
  const colon = value.indexOf(':');
  const v = value.slice(colon + 1);
  if (colon <= 0 || !isDigits(v)) fail('b= must be <bwtype>:<bandwidth in digits>');
  return { type: value.slice(0, colon), value: Number(v) };
}

// RFC 8866 §5.9
function parseTiming(value: string): Timing {
  const f = fields(value);
  if (f.length !== 2 || !isDigits(f[0]!) || !isDigits(f[1]!)) fail('t= must be <start-time> <stop-time> in decimal');
  return { start: Number(f[0]), stop: Number(f[1]), repeats: [] };
}

// RFC 8866 §5.13
function parseAttribute(value: string): { name: string; value?: string } {
  const colon = value.indexOf(':');
  if (colon === 0 || value.length === 0) fail('a= needs an attribute name');
  return colon < 0 ? { name: value } : { name: value.slice(0, colon), value: value.slice(colon + 1) };
}

// RFC 8866 §5.14: m=<media> <port>[/<number of ports>] <proto> <fmt> ...
function parseMediaLine(value: string): MediaDescription {
  const f = fields(value);
  if (f.length < 4) fail('m= needs: media port proto and at least one format');
  const [type, portField, protocol] = f as [string, string, string];
  const slash = portField.indexOf('/');
  const portText = slash < 0 ? portField : portField.slice(0, slash);
  if (!isDigits(portText) || Number(portText) > 65535) fail('m= port must be a number 0-65535');
  const m: MediaDescription = {
    type, port: Number(portText), protocol, formats: f.slice(3), bandwidths: [], attributes: [],
  };
  if (slash >= 0) {
    const n = portField.slice(slash + 1);
    if (!isDigits(n)) fail('m= port count must be a number');
    m.numPorts = Number(n);
  }
  return m;
}
