// SIP INFO digits (application/dtmf-relay, the de-facto format from Cisco and most PBXs):
//   Signal=5\r\nDuration=160
// Duration in ms. There is no RFC; this is what phones send. A body without a valid Signal is
// ignored. The diagnostic targets in server/ use this one too.

/** The digit and duration of a dtmf-relay body; undefined when it carries no DTMF digit. */
export function parseDtmfRelay(body: string): { digit: string; durationMs: number } | undefined {
  let digit: string | undefined;
  let durationMs = 0;
  for (const line of body.split(/\r?\n/)) {
    const m = /^\s*(signal|duration)\s*=\s*(\S+)\s*$/i.exec(line);
    if (!m) continue;
    if (m[1].toLowerCase() === 'signal') digit = m[2].toUpperCase();
    else durationMs = Number.parseInt(m[2], 10) || 0;
  }
  if (digit === '10') digit = '*';
  if (digit === '11') digit = '#';
  return digit !== undefined && /^[0-9*#A-D]$/.test(digit) ? { digit, durationMs } : undefined;
}
