// The contract between the transaction layer (RFC 3261 §17, RFC 6026) and the transaction
// user above it (the UA core: dialogs, registrar, diagnostic targets).
import type { SipRequest, SipResponse } from '../message/types-public.ts';
import type { Destination, Source } from '../transport/types.ts';

/** RFC 3261 §17.1.1.1 and Table 4 timer values in ms. Defaults: T1 500, T2 4000, T4 5000. */
export interface TimerSettings {
  /** RTT estimate; default 500 ms. */
  t1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses; default 4000 ms. */
  t2: number;
  /** Maximum time a message remains in the network; default 5000 ms. */
  t4: number;
}

/** Callbacks a client transaction reports to its owner. */
export interface ClientTransactionHandlers {
  /** Every provisional and final response that the transaction passes up (§17.1.1.2, §17.1.4). */
  onResponse(res: SipResponse): void;
  /** Timer B or F fired: treat as 408 (§8.1.3.4). */
  onTimeout?(): void;
  /** The transport failed to send: treat as 503 (§8.1.3.1). */
  onTransportError?(err: Error): void;
}

export interface ClientTransaction {
  readonly id: string;
  readonly request: SipRequest;
  readonly state: string;
  /** Build and send CANCEL for this INVITE (§9.1); only once a provisional response came. */
  cancel(): void;
}

export interface ServerTransaction {
  readonly id: string;
  readonly request: SipRequest;
  readonly source: Source;
  readonly state: string;
  /** Send a response; for INVITE, a 2xx ends the transaction per RFC 6026 (Accepted state). */
  respond(res: SipResponse): void;
}

/** Events the transaction layer emits to the transaction user. */
export interface TransactionLayerEvents {
  /** A new request that created a server transaction (not ACK, not a retransmission). */
  request: [req: SipRequest, tx: ServerTransaction];
  /** ACK for a 2xx (goes to the dialog, not to a transaction; §17.1.1.3, §13.2.2.4). */
  ack: [req: SipRequest, source: Source];
  /** CANCEL matched an INVITE server transaction; 200 to the CANCEL was already sent. */
  cancel: [invite: ServerTransaction, cancel: SipRequest];
  /** A response that matched no client transaction, e.g. a 2xx retransmission (RFC 6026 §8.4). */
  strayResponse: [res: SipResponse, source: Source];
  /**
   * A server transaction failed (added beside the original contract): timer H fired with no ACK
   * (§17.2.1) or the transport could not send a response (§17.2.4). The transaction is terminated.
   */
  serverTransactionError: [tx: ServerTransaction, reason: 'timeout' | 'transport', err?: Error];
}

/** The four transaction kinds of RFC 3261 §17, as used in metrics. */
export type TransactionKind = 'ict' | 'nict' | 'ist' | 'nist';

export type { Destination, Source };
