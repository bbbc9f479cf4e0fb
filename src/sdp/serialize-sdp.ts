// serializeSdp: SessionDescription → text, CRLF line ends, in the order RFC 8866 §5 requires
// (v o s i u e p c b t r z k a, then per media m i c b k a). A description that came from
// canonical text serializes back to the same bytes.

import type { Attribute, Bandwidth, Connection, MediaDescription, SessionDescription } from './types.ts';

const CRLF = '\r\n';

export function serializeSdp(sd: SessionDescription): string {
  let out = `v=${sd.version}${CRLF}`;
  const o = sd.origin;
  out += `o=${o.username} ${o.sessId} ${o.sessVersion} ${o.netType} ${o.addrType} ${o.address}${CRLF}`;
  out += `s=${sd.sessionName}${CRLF}`;
  if (sd.information !== undefined) out += `i=${sd.information}${CRLF}`;
  if (sd.uri !== undefined) out += `u=${sd.uri}${CRLF}`;
  for (const e of sd.emails) out += `e=${e}${CRLF}`;
  for (const p of sd.phones) out += `p=${p}${CRLF}`;
  if (sd.connection) out += connectionLine(sd.connection);
  out += bandwidthLines(sd.bandwidths);
  for (const t of sd.timing) {
    out += `t=${t.start} ${t.stop}${CRLF}`;
    for (const r of t.repeats) out += `r=${r}${CRLF}`;
  }
  if (sd.timeZones !== undefined) out += `z=${sd.timeZones}${CRLF}`;
  if (sd.key !== undefined) out += `k=${sd.key}${CRLF}`;
  out += attributeLines(sd.attributes);
  for (const m of sd.media) out += mediaSection(m);
  return out;
}

function mediaSection(m: MediaDescription): string {
  const port = m.numPorts === undefined ? `${m.port}` : `${m.port}/${m.numPorts}`;
  let out = `m=${m.type} ${port} ${m.protocol} ${m.formats.join(' ')}${CRLF}`;
  if (m.information !== undefined) out += `i=${m.information}${CRLF}`;
  if (m.connection) out += connectionLine(m.connection);
  out += bandwidthLines(m.bandwidths);
  if (m.key !== undefined) out += `k=${m.key}${CRLF}`;
  return out + attributeLines(m.attributes);
}

function connectionLine(c: Connection): string {
  let addr = c.address;
  if (c.ttl !== undefined) addr += `/${c.ttl}`;
  if (c.numAddresses !== undefined) addr += `/${c.numAddresses}`;
  return `c=${c.netType} ${c.addrType} ${addr}${CRLF}`;
}

function bandwidthLines(bs: Bandwidth[]): string {
  let out = '';
  for (const b of bs) out += `b=${b.type}:${b.value}${CRLF}`;
  return out;
}

function attributeLines(as: Attribute[]): string {
  let out = '';
  for (const a of as) out += a.value === undefined ? `a=${a.name}${CRLF}` : `a=${a.name}:${a.value}${CRLF}`;
  return out;
}
