// Public face of sip/message: the SIP message model, parser, serializer and helpers.
export type { CSeq, HeaderField, NameAddr, Params, Uri, Via } from './types.ts';
export { SipParseError } from './types.ts';
export { SipMessage, SipRequest, SipResponse, headerLine } from './sip-message.ts';
export { canonicalHeaderName, LIST_HEADERS, normalizeHeaderName } from './header-names.ts';
export {
  formatNameAddr, formatParams, formatUri, formatVia, MAX_CSEQ, parseCSeq, parseNameAddr, parseParams,
  parseUri, parseVia, splitList,
} from './header-parsers.ts';
export { parseMessage } from './parser.ts';
export type { ParseOptions } from './parser.ts';
export { serialize } from './serializer.ts';
export { KNOWN_METHODS, validateRequest, validateResponse } from './validate.ts';
export type { ValidationFailure } from './validate.ts';
export { createResponse } from './create-response.ts';
export type { CreateResponseOptions } from './create-response.ts';
export { reasonPhrase } from './reasons.ts';
export { findBodyPart, parseMultipart } from './multipart.ts';
export type { MimePart } from './multipart.ts';
export { frameStream } from './framing.ts';
export type { Frame } from './framing.ts';
