// Follows committed events and appends, for some of them, one further event of its own (with
// its own delivery target) to the outbox — so a face's extra notification (e.g. ACS's Event
// Grid IncomingCall after call.incoming, RecordingFileStatusUpdated after a recording became
// final) is signed, retried, dead-lettered and kept across restarts like any webhook.
//
// Not the same transaction as the source event (core writes that one; this follows its
// commit), so each derived event has an id computed from what it derives from
// (derivedEventId): appending it twice — a second node, a replayed source, the start-up sweep
// that closes the crash gap between the two commits — finds it already there and adds nothing.
//
// Lifecycle: start() subscribes (and runs the optional sweep once), stop() unsubscribes and
// waits for appends under way. A failed append is logged and reported; the sweep at the next
// start is what retries it (when the deriver's owner gives one).
import { nullLogger, type Logger } from '../lib/index.ts';
import { seededEventId } from './cdr-publisher.ts';
import type { DeliveryTarget, OutboxEvent, OutboxRepository, StoredEvent } from '../store/index.ts';

/** One event to append and where it goes. */
export interface DerivedEvent {
  event: OutboxEvent;
  target: DeliveryTarget;
}

/** Maps a committed event to the event derived from it, or undefined (nothing to add). */
export type EventDeriver = (source: StoredEvent) => Promise<DerivedEvent | undefined> | DerivedEvent | undefined;

export interface DerivedEventPublisherOptions {
  /** The store's outbox (store.outbox); required. */
  outbox: OutboxRepository;
  derive: EventDeriver;
  /** Derived events a previous run may have missed (crash between the commits); default none. */
  sweep?: () => Promise<readonly DerivedEvent[]>;
  /** Default nullLogger. */
  logger?: Logger;
  /** Told about each failed derivation or append; default ignore. */
  onError?: (err: unknown, source?: StoredEvent) => void;
}

export class DerivedEventPublisher {
  private readonly running = new Set<Promise<void>>();
  private unsubscribe?: () => void;
  private readonly logger: Logger;

  constructor(private readonly o: DerivedEventPublisherOptions) {
    this.logger = o.logger ?? nullLogger;
  }

  /** Follows commits from now on, then appends what the sweep finds missing; returns how many it added. */
  async start(): Promise<number> {
    if (this.unsubscribe) return 0;
    this.unsubscribe = this.o.outbox.onCommitted((events) => {
      for (const e of events) this.track(this.follow(e));
    });
    if (!this.o.sweep) return 0;
    let n = 0;
    try {
      for (const d of await this.o.sweep()) if (await this.publish(d)) n++;
    } catch (err) {
      this.fail(err);
    }
    if (n > 0) this.logger.info({ published: n }, 'derived events a previous run had not appended were appended');
    return n;
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.settled();
  }

  /** Resolves when every derivation under way has finished (tests wait on it). */
  settled(): Promise<void> {
    return Promise.allSettled([...this.running]).then(() => undefined);
  }

  /** Appends unless an event with its id exists; true when it was added. */
  async publish(d: DerivedEvent): Promise<boolean> {
    if (await this.o.outbox.getEvent(d.event.id)) return false;
    try {
      await this.o.outbox.append(d.event, [d.target]);
      return true;
    } catch (err) {
      // Someone else appended it between our check and our insert: the primary key says so.
      if (await this.o.outbox.getEvent(d.event.id)) return false;
      throw err;
    }
  }

  private async follow(e: StoredEvent): Promise<void> {
    // Our own appends come back through onCommitted too; a deriver ignores its own types.
    try {
      const d = await this.o.derive(e);
      if (d) await this.publish(d);
    } catch (err) {
      this.fail(err, e);
    }
  }

  private fail(err: unknown, source?: StoredEvent): void {
    this.logger.error({ err, event: source?.id, type: source?.type }, 'derived event not appended');
    try {
      this.o.onError?.(err, source);
    } catch {
      // a listener's failure changes nothing
    }
  }

  private track(p: Promise<void>): void {
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }
}

/**
 * A stable event id for something derived from `key` (e.g. "IncomingCall:<source event id>"):
 * a UUID v7 (RFC 9562 §5.7) whose time is `atMs` and whose other 74 bits come from SHA-256 of
 * the key, so every node and every retry computes the same id.
 */
export function derivedEventId(key: string, atMs: number): string {
  return seededEventId(`derived:${key}`, atMs);
}
