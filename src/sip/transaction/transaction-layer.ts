// The transaction layer (RFC 3261 §17): matches every message from the transport to a
// transaction, creates server transactions for new requests, answers CANCEL (§9.2), and
// hands the TU what belongs to it (new requests, ACKs for 2xx, stray responses). It holds no
// dialog state and never decides how a request is answered.
import { EventEmitter } from 'node:events';
import { nullLogger, systemClock } from '../../lib/index.ts';
import type { Clock, Logger } from '../../lib/index.ts';
import type { SipMessage, SipRequest, SipResponse } from '../message/index.ts';
import type { Destination, MessageSender, Source } from '../transport/types.ts';
import { isRfc3261Branch, newTag } from './branch.ts';
import { InviteClientTransaction } from './invite-client-transaction.ts';
import { InviteServerTransaction } from './invite-server-transaction.ts';
import type { TryingPolicy } from './invite-server-transaction.ts';
import { createResponse } from '../message/index.ts';
import { NonInviteClientTransaction } from './non-invite-client-transaction.ts';
import { NonInviteServerTransaction } from './non-invite-server-transaction.ts';
import { responseDestination } from './response-destination.ts';
import { resolveTimers } from './timer-settings.ts';
import type { ResolvedTimers } from './timer-settings.ts';
import { clientKey, is2543, responseKey, serverKey } from './transaction-key.ts';
import type { SendOwner, SendWhat, Transaction, TransactionContext } from './transaction-context.ts';
import type {
  ClientTransaction, ClientTransactionHandlers, TimerSettings, TransactionKind,
  TransactionLayerEvents,
} from './types.ts';

export interface TransactionLayerOptions {
  /** The transport layer; required. */
  sender: MessageSender;
  /** Time source for every protocol timer; default systemClock. */
  clock?: Clock;
  /** T1/T2/T4 overrides; default RFC 3261 Table 4 (500 / 4000 / 5000 ms). */
  timers?: Partial<TimerSettings>;
  /** Diagnostics; default nullLogger. */
  logger?: Logger;
  /** How long a completed INVITE client transaction lingers on unreliable transports (timer D); default max(32 s, 64·T1). Other lingers (I, J, K, L, M) follow T1/T4 per RFC. */
  timerD?: number;
  /** When INVITE server transactions send 100 Trying; default 'immediate'. */
  trying?: TryingPolicy;
}

type ClientTx = InviteClientTransaction | NonInviteClientTransaction;
type ServerTx = InviteServerTransaction | NonInviteServerTransaction;

/** CANCEL's own transaction has nobody above it: its response only needs logging. */
function cancelHandlers(log: Logger): ClientTransactionHandlers {
  return {
    onResponse: (res) => log.debug({ status: res.status }, 'response to CANCEL'),
    onTimeout: () => log.debug('CANCEL timed out'),
    onTransportError: (err) => log.debug({ err }, 'CANCEL could not be sent'),
  };
}

export class TransactionLayer extends EventEmitter<TransactionLayerEvents> {
  private readonly sender: MessageSender;
  private readonly log: Logger;
  private readonly trying: TryingPolicy;
  private readonly ctx: TransactionContext;
  private readonly clients = new Map<string, ClientTx>();
  private readonly servers = new Map<string, ServerTx>();
  private readonly live: Record<TransactionKind, number> = { ict: 0, nict: 0, ist: 0, nist: 0 };
  private readonly cancelTxHandlers: ClientTransactionHandlers;
  private closed = false;

  constructor(opts: TransactionLayerOptions) {
    super();
    this.sender = opts.sender;
    this.log = (opts.logger ?? nullLogger).child({ component: 'sip-transaction' });
    this.trying = opts.trying ?? 'immediate';
    this.cancelTxHandlers = cancelHandlers(this.log);
    const timers: ResolvedTimers = resolveTimers(opts.timers, opts.timerD);
    const clock = opts.clock ?? systemClock;
    // The context closes over the layer once; transactions call through it with no per-message allocation.
    this.ctx = {
      clock,
      timers,
      logger: this.log,
      send: (msg, dest, owner, what) => this.transmit(msg, dest, owner, what),
      terminated: (tx) => this.forget(tx),
      sendCancel: (cancel, dest) => {
        if (!this.closed) this.sendRequest(cancel, dest, this.cancelTxHandlers);
      },
      emitAck: (ack, source) => this.safeEmit('ack', ack, source),
      emitServerError: (tx, reason, err) => this.safeEmit('serverTransactionError', tx, reason, err),
    };
  }

  /** Feed every parsed message from the transport here (requests and responses). */
  receive(msg: SipRequest | SipResponse, source: Source): void {
    if (this.closed) return;
    try {
      if (msg.isRequest()) this.receiveRequest(msg, source);
      else this.receiveResponse(msg as SipResponse, source);
    } catch (err) {
      // Only header views can throw here (malformed Via/CSeq): such a message cannot be
      // matched to a transaction. A response is dropped (§18.1.2); a request still gets its
      // 400 (RFC 4475 §3.1.2.1 badinv01), statelessly and straight back to its source since
      // the Via that would route it does not parse.
      this.log.warn({ err }, 'message dropped: cannot be matched to a transaction');
      if (msg.isRequest()) this.rejectUnmatchable(msg, source, err);
    }
  }

  /** Stateless 400 for a request whose Via/CSeq do not parse; never for ACK (§17.2.1). */
  private rejectUnmatchable(req: SipRequest, source: Source, err: unknown): void {
    if (req.method === 'ACK' || !req.headers.some((h) => h.name === 'via')) return;
    try {
      const why = err instanceof Error ? err.message.replace(/[\r\n]/g, ' ').slice(0, 80) : 'malformed header';
      const res = createResponse(req, 400, `Bad Request (${why})`, { toTag: newTag() });
      const dest: Destination = { protocol: source.protocol, address: source.address, port: source.port };
      if (source.connectionId !== undefined) dest.connectionId = source.connectionId;
      this.sendStateless(res, dest);
    } catch (e) {
      this.log.debug({ err: e }, 'could not answer an unmatchable request');
    }
  }

  /**
   * Send a request through a new client transaction: INVITE → §17.1.1, anything else →
   * §17.1.2. Not for ACK (use sendStateless). The top Via must carry a fresh RFC 3261 branch
   * (see newBranch()). Throws when it does not, when the branch is already in use, or when the
   * layer is closed. Callbacks never run before this returns.
   */
  sendRequest(req: SipRequest, dest: Destination, handlers: ClientTransactionHandlers): ClientTransaction {
    if (this.closed) throw new Error('transaction layer is closed');
    if (req.method === 'ACK') throw new TypeError('ACK is not sent through a transaction; use sendStateless');
    const branch = req.topVia?.branch;
    if (!isRfc3261Branch(branch)) throw new TypeError('request top Via needs a branch starting with z9hG4bK');
    const id = clientKey(branch, req.method);
    if (this.clients.has(id)) throw new Error(`a client transaction with branch ${branch} and method ${req.method} exists`);
    const reliable = this.sender.isReliable(dest.protocol);
    let tx: ClientTx;
    if (req.method === 'INVITE') {
      tx = new InviteClientTransaction(this.ctx, id, req, dest, handlers, reliable);
      this.live.ict++;
    } else {
      tx = new NonInviteClientTransaction(this.ctx, id, req, dest, handlers, reliable);
      this.live.nict++;
    }
    this.clients.set(id, tx);
    tx.start();
    return tx;
  }

  /** Send a request or response with no transaction (ACK for 2xx, §13.2.2.4; 2xx retransmissions by a stateless TU). Errors are logged. */
  sendStateless(msg: SipRequest | SipResponse, dest: Destination): void {
    if (this.closed) return;
    this.transmit(msg, dest, this.statelessOwner, 'request');
  }

  /** Live transactions by kind, for metrics. */
  counts(): Record<TransactionKind, number> {
    return { ...this.live };
  }

  /** Stop every timer and forget every transaction; nothing is emitted or called afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const tx of this.clients.values()) tx.dispose();
    for (const tx of this.servers.values()) tx.dispose();
    this.clients.clear();
    this.servers.clear();
    this.live.ict = this.live.nict = this.live.ist = this.live.nist = 0;
  }

  // ── incoming ─────────────────────────────────────────────────────────

  /** §17.1.3: branch + CSeq method. No match → the TU decides (RFC 6026 §8.4 for late 2xx). */
  private receiveResponse(res: SipResponse, source: Source): void {
    const key = responseKey(res);
    const tx = key === undefined ? undefined : this.clients.get(key);
    if (tx !== undefined) tx.receiveResponse(res);
    else this.safeEmit('strayResponse', res, source);
  }

  /** §17.2.3 matching, then ACK (§17.2.1), CANCEL (§9.2), or a new server transaction. */
  private receiveRequest(req: SipRequest, source: Source): void {
    const method = req.method;
    if (method === 'ACK') {
      const key = serverKey(req, 'INVITE');
      const tx = key === undefined ? undefined : this.servers.get(key);
      if (tx !== undefined && tx.kind === 'ist' && tx.matchesAckToTag(req)) tx.receiveAck(req, source);
      else this.safeEmit('ack', req, source); // §17.1.1.3: ACK for 2xx has its own branch
      return;
    }
    const key = serverKey(req, method);
    if (key === undefined) {
      this.log.warn({ method }, 'request without Via dropped');
      return;
    }
    const existing = this.servers.get(key);
    if (existing !== undefined) {
      if (existing.matchesRequestToTag(req)) existing.receiveRetransmission();
      else this.log.warn({ method }, 'RFC 2543 request collides with a live transaction; dropped');
      return;
    }
    const dest = responseDestination(req, source);
    const reliable = this.sender.isReliable(source.protocol);
    const old = is2543(req);
    if (method === 'INVITE') {
      const tx = new InviteServerTransaction(this.ctx, key, req, source, dest, reliable, old);
      this.servers.set(key, tx);
      this.live.ist++;
      tx.start(this.trying);
      this.safeEmit('request', req, tx);
      return;
    }
    const tx = new NonInviteServerTransaction(this.ctx, key, req, source, dest, reliable, old);
    this.servers.set(key, tx);
    this.live.nist++;
    tx.start();
    if (method === 'CANCEL') this.answerCancel(req, tx);
    else this.safeEmit('request', req, tx);
  }

  /**
   * §9.2: a CANCEL matches the INVITE server transaction that §17.2.3 would match if its
   * method were INVITE. Match → 200 (To tag of our INVITE responses when we have one) and,
   * while the INVITE is unanswered, 'cancel' so the TU answers it with 487. No match → 481.
   */
  private answerCancel(cancel: SipRequest, tx: NonInviteServerTransaction): void {
    const inviteKey = serverKey(cancel, 'INVITE');
    const invite = inviteKey === undefined ? undefined : this.servers.get(inviteKey);
    if (invite === undefined || invite.kind !== 'ist' || !invite.matchesRequestToTag(cancel)) {
      tx.respond(createResponse(cancel, 481, 'Call/Transaction Does Not Exist', { toTag: newTag() }));
      return;
    }
    tx.respond(createResponse(cancel, 200, 'OK', { toTag: invite.responseToTag() ?? newTag() }));
    if (invite.state === 'Proceeding') this.safeEmit('cancel', invite, cancel);
  }

  // ── plumbing ─────────────────────────────────────────────────────────

  private transmit(msg: SipMessage, dest: Destination, owner: SendOwner, what: SendWhat): void {
    let pending: Promise<void> | void;
    try {
      pending = this.sender.send(msg, dest);
    } catch (err) {
      queueMicrotask(() => {
        if (!this.closed) owner.sendFailed(err, what);
      });
      return;
    }
    // A closure only when the transport hands back a promise; the success path allocates nothing else.
    if (pending !== undefined && typeof pending.then === 'function') {
      pending.then(undefined, (err: unknown) => {
        if (!this.closed) owner.sendFailed(err, what);
      });
    }
  }

  private forget(tx: Transaction): void {
    if (tx.kind === 'ict' || tx.kind === 'nict') {
      if (this.clients.get(tx.id) === tx) this.clients.delete(tx.id);
      else return;
    } else if (this.servers.get(tx.id) === tx) this.servers.delete(tx.id);
    else return;
    this.live[tx.kind]--;
  }

  /** A TU listener that throws must not corrupt transaction state or reach the transport. */
  private safeEmit<K extends keyof TransactionLayerEvents>(event: K, ...args: TransactionLayerEvents[K]): void {
    if (this.closed) return;
    try {
      (this.emit as (e: K, ...a: TransactionLayerEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.log.error({ err, event }, 'transaction user listener threw');
    }
  }

  private readonly statelessOwner: SendOwner = {
    sendFailed: (err) => this.log.warn({ err }, 'stateless send failed'),
  };
}
