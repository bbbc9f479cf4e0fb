// The `Range` request header for one byte range (RFC 9110 §14.1.2): "bytes=first-last",
// "bytes=first-" or "bytes=-suffixLength". Several ranges, other units or a malformed value
// are answered with the whole content (§14.2: a server MAY ignore Range), which every client
// handles; a well-formed range wholly past the end is unsatisfiable (416).

export type RangeAnswer =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

/** `end` is inclusive, as in Content-Range. */
export function parseByteRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  if (m[1] === '') {
    // Suffix: the last N bytes (§14.1.2); N = 0 selects nothing.
    const n = Number(m[2]);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Number(m[2]);
  if (m[2] !== '' && last < start) return { kind: 'full' }; // invalid: ignore (§14.1.1)
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(last, size - 1) };
}
