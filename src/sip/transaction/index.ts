// The SIP transaction layer (RFC 3261 §17, RFC 6026): the public face of this folder.
export { TransactionLayer } from './transaction-layer.ts';
export type { TransactionLayerOptions } from './transaction-layer.ts';
export { newBranch, newTag, MAGIC_COOKIE } from './branch.ts';
export { responseDestination } from './response-destination.ts';
export { DEFAULT_TIMER_SETTINGS } from './timer-settings.ts';
export type { InviteClientState } from './invite-client-transaction.ts';
export type { NonInviteClientState } from './non-invite-client-transaction.ts';
export type { InviteServerState, TryingPolicy } from './invite-server-transaction.ts';
export type { NonInviteServerState } from './non-invite-server-transaction.ts';
export type * from './types.ts';
