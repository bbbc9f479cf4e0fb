// Deterministic mutations of SIP messages for fuzzing: a seeded PRNG so a failing input
// can be reproduced from its seed and index.

/** Mulberry32: small, fast, seedable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY = [
  '\r\n', '\r', '\n', ' ', '\t', ':', ';', ',', '<', '>', '"', '\\', '%', '%00', '\0', '=', '@', '[', ']',
  'Content-Length: -1', 'Content-Length: 99999999999', 'Content-Length: 0', 'l: 5000', 'Via: SIP/2.0/UDP',
  'CSeq: 4294967296 INVITE', 'SIP/3.0', '\xff\xfe', 'z9hG4bK', ';branch=', ';rport', ';received=',
  'sip:', 'sips:', 'tel:', '<sip:a@b>', '\r\n\r\n', 'A'.repeat(5000),
];

/** One mutated copy of `input` (never longer than ~128 KiB). */
export function mutate(input: Buffer, rnd: () => number): Buffer {
  const b = Buffer.from(input);
  const pick = (n: number) => Math.floor(rnd() * n);
  switch (pick(9)) {
    case 0: { // flip bits
      for (let i = 0, n = 1 + pick(8); i < n; i++) b[pick(b.length)] ^= 1 << pick(8);
      return b;
    }
    case 1: // truncate
      return b.subarray(0, pick(b.length));
    case 2: { // insert a nasty token
      const at = pick(b.length + 1);
      return Buffer.concat([b.subarray(0, at), Buffer.from(NASTY[pick(NASTY.length)], 'latin1'), b.subarray(at)]);
    }
    case 3: { // delete a span
      const at = pick(b.length);
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + pick(40)))]);
    }
    case 4: { // duplicate a line many times (endless headers)
      const lines = b.toString('latin1').split('\r\n');
      const i = 1 + pick(Math.max(1, lines.length - 2));
      const copies = Array(1 + pick(300)).fill(lines[i] ?? 'X: y');
      lines.splice(i, 0, ...copies);
      return Buffer.from(lines.join('\r\n'), 'latin1');
    }
    case 5: { // swap two lines
      const lines = b.toString('latin1').split('\r\n');
      const i = pick(lines.length), j = pick(lines.length);
      [lines[i], lines[j]] = [lines[j], lines[i]];
      return Buffer.from(lines.join('\r\n'), 'latin1');
    }
    case 6: { // random bytes
      const n = 1 + pick(64);
      const r = Buffer.alloc(n);
      for (let i = 0; i < n; i++) r[i] = pick(256);
      const at = pick(b.length + 1);
      return Buffer.concat([b.subarray(0, at), r, b.subarray(at)]);
    }
    case 7: { // change Content-Length to a hostile value
      const s = b.toString('latin1').replace(/(Content-Length|^l)\s*:\s*\d+/im, `Content-Length: ${['-5', '2147483648', '1e9', '00000000000000000000001', ' ', '4294967295'][pick(6)]}`);
      return Buffer.from(s, 'latin1');
    }
    default: { // replace CRLF with LF or CR
      return Buffer.from(b.toString('latin1').replace(/\r\n/g, () => ['\n', '\r', '\r\n', '\r\n\t'][pick(4)]), 'latin1');
    }
  }
}
