// Parsers for the structured header values (URI, name-addr, Via, CSeq) and list splitting.
// PLACEHOLDER: the real implementations are being written (issue #2); these signatures are
// the contract.
import type { CSeq, NameAddr, Uri, Via } from './types.ts';

export function parseUri(_s: string): Uri {
  throw new Error('parseUri: not implemented yet');
}
export function parseNameAddr(_s: string): NameAddr {
  throw new Error('parseNameAddr: not implemented yet');
}
export function parseVia(_s: string): Via {
  throw new Error('parseVia: not implemented yet');
}
export function parseCSeq(_s: string): CSeq {
  throw new Error('parseCSeq: not implemented yet');
}
/** Split a list header value on commas outside quotes and <>. */
export function splitList(s: string): string[] {
  return s.split(',').map((x) => x.trim()).filter(Boolean);
}
