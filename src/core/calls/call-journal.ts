// Writes a call's state changes and the DomainEvents they cause in ONE transaction each
// (Store.transaction + tx.outbox.append), one after another per call, so that events of a
// call reach the outbox in the order they happened and a failed write leaves neither the
// change nor its event behind.
//
// Memory is the truth for a live call (the leg really was answered); the journal makes it
// durable. A write that fails is logged and counted, never retried with a different order.
import type { Logger } from '../../lib/index.ts';
import type { Store, TransactionScope } from '../../store/index.ts';
import { newEventId, type DomainEvent } from '../events/index.ts';

export interface JournalEntry {
  /** State writes (may be none). */
  write?: (tx: TransactionScope) => Promise<void>;
  /** Events appended after the writes, in this order. */
  events: readonly DomainEvent[];
  /** Callback URL override for these events (an operation's); default the journal's. */
  callbackUrl?: string | null;
}

export class CallJournal {
  private chain: Promise<void> = Promise.resolve();
  /** Set by directTo(): where the call's events go from then on, instead of callbackUrl(). */
  private directed?: string | null;
  /** Failed writes so far (each also logged). */
  failures = 0;
  lastError?: Error;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    /** The application's (or call's) callback URL; null = stored for replay only. */
    private readonly callbackUrl: () => string | null,
    /** Delivery format (the face whose wire shape the receiver expects); default 'native'. */
    private format?: string,
  ) {}

  /**
   * Sends the call's later events to `url` (null: stored only) in `format` — a face that takes
   * over a call (e.g. an ACS answer carrying its callbackUri) says so here, before the event
   * that should reach it is recorded. Events already recorded keep their targets.
   */
  directTo(url: string | null, format?: string): void {
    this.directed = url;
    if (format !== undefined) this.format = format;
  }

  /** Queues one atomic write; resolves when committed, rejects when rolled back. */
  record(entry: JournalEntry): Promise<void> {
    const run = async (): Promise<void> => {
      const url = entry.callbackUrl ?? (this.directed !== undefined ? this.directed : this.callbackUrl());
      const targets = url ? [{ url, ...(this.format !== undefined ? { format: this.format } : {}) }] : [];
      await this.store.transaction(async (tx) => {
        await entry.write?.(tx);
        for (const e of entry.events) await tx.outbox.append(e, targets);
      });
    };
    const p = this.chain.then(run);
    this.chain = p.catch((err: unknown) => {
      this.failures++;
      this.lastError = err instanceof Error ? err : new Error(String(err));
      this.logger.error({ err: this.lastError.message, events: entry.events.map((e) => e.type) }, 'call journal write failed');
    });
    return p;
  }

  /** Resolves once every queued write has committed or failed. */
  settled(): Promise<void> {
    return this.chain;
  }
}

/** Builds a DomainEvent of a call. */
export function callEvent(
  applicationId: string, callId: string, nowMs: number, type: string, data: Record<string, unknown>,
): DomainEvent {
  return { id: newEventId(nowMs), type, applicationId, callId, occurredAt: new Date(nowMs).toISOString(), data };
}
