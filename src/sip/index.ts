// The SIP layer's public face: what the server and the adapters use from sip/. Each line
// re-exports one sub-folder's index; internals stay private to their folder.
export {
  SipMessage, SipRequest, SipResponse, SipParseError, parseMessage, serialize, createResponse, reasonPhrase,
  validateRequest, parseUri, parseNameAddr, formatUri, formatNameAddr, findBodyPart, parseMultipart,
} from './message/index.ts';
export type { CSeq, HeaderField, MimePart, NameAddr, Params, Uri, Via } from './message/index.ts';
export { TransportLayer, DEFAULT_LIMITS, DEFAULT_FLOOD, IpMatcher } from './transport/index.ts';
export type {
  Destination, MessageSender, Source, TransportLayerOptions, TransportProtocol, TransportStats, TlsOptions,
} from './transport/index.ts';
export { TransactionLayer, DEFAULT_TIMER_SETTINGS } from './transaction/index.ts';
export type { ClientTransaction, ServerTransaction, TimerSettings } from './transaction/index.ts';
export { DigestClient, DigestServer } from './auth/index.ts';
export type { DigestCredentials, DigestServerOptions, DigestUserRecord } from './auth/index.ts';
export { Registrar, MemoryBindingStore } from './registrar/index.ts';
export type { Binding, BindingStore, RegistrarOptions } from './registrar/index.ts';
export { Dialog } from './dialog/index.ts';
export type { DialogId, DialogState } from './dialog/index.ts';
export * from './ua/index.ts';
