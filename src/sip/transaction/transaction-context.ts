// What a transaction needs from the layer that owns it. The layer implements this; the state
// machines stay free of map bookkeeping and of how sending and event emission work.
import type { Clock } from '../../lib/index.ts';
import type { Logger } from '../../lib/index.ts';
import type { SipMessage, SipRequest } from '../message/index.ts';
import type { Destination, Source } from '../transport/types.ts';
import type { ResolvedTimers } from './timer-settings.ts';
import type { ServerTransaction, TransactionKind } from './types.ts';

/** Common surface of the four state machines, as the layer sees them. */
export interface Transaction {
  readonly kind: TransactionKind;
  /** The matching key; also the public id. */
  readonly id: string;
  readonly state: string;
  /** Stop every timer and go quiet (layer closing); calls nobody. */
  dispose(): void;
}

/** What was being sent when the transport failed: the transaction's request, an ACK, or a response. */
export type SendWhat = 'request' | 'ack' | 'response';

export interface SendOwner {
  sendFailed(err: unknown, what: SendWhat): void;
}

export interface TransactionContext {
  readonly clock: Clock;
  readonly timers: ResolvedTimers;
  readonly logger: Logger;
  /**
   * Hand a message to the transport. A synchronous throw or a rejection is reported to
   * `owner.sendFailed(err, what)` — never synchronously, so a caller is never re-entered from
   * inside a send. Passing the owner instead of a callback keeps sends allocation-free.
   */
  send(msg: SipMessage, dest: Destination, owner: SendOwner, what: SendWhat): void;
  /** The transaction reached Terminated: forget it. Called exactly once per transaction. */
  terminated(tx: Transaction): void;
  /** Start a CANCEL client transaction on behalf of an INVITE client transaction (§9.1). */
  sendCancel(cancel: SipRequest, dest: Destination): void;
  /** Pass an ACK for a 2xx up to the TU (RFC 6026 §7.1, Accepted state). */
  emitAck(ack: SipRequest, source: Source): void;
  emitServerError(tx: ServerTransaction, reason: 'timeout' | 'transport', err?: Error): void;
}

export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
