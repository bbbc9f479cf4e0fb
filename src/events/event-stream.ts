// Live event fan-out for apps that prefer a socket to webhooks: every event committed to the
// outbox of this node is pushed, as the same JSON as the native webhook body, to each
// subscriber allowed to see it. A subscriber may first catch up from the outbox (`afterId` or
// `since`) and then continue live with no gap and no duplicate.
//
// Scope: events appended by this process only (the store announces commits in-process). In a
// cluster, other nodes' events reach a socket through replay only until event fan-out over
// NATS exists (ARCHITECTURE.md, Clustering) — not built yet.
import type { DomainEvent } from '../core/index.ts';
import type { OutboxRepository, StoredEvent } from '../store/index.ts';
import { nativeFormatter, type EventFormatter } from './event-formatter.ts';

export interface StreamFilter {
  /** Only this application's events; undefined = every application (admin only). */
  applicationId?: string;
  /** Only these event types; default all. */
  types?: readonly string[];
}

export interface StreamCatchUp {
  /** Replay events after this id first. */
  afterId?: string;
  /** Replay events that occurred at or after this time (ms) first. */
  since?: number;
}

export interface EventStreamHubOptions {
  outbox: OutboxRepository;
  /** Message body per event; default the native webhook format. */
  formatter?: EventFormatter;
  /** Most events replayed on catch-up; default 1000 (a client that needs more pages through GET /v1/events). */
  maxCatchUp?: number;
}

export type StreamSink = (message: string, event: DomainEvent) => void;

interface Subscriber {
  filter: StreamFilter;
  sink: StreamSink;
  /** While catching up: live events held back until the replay is out, with ids already sent. */
  held?: StoredEvent[];
}

export class EventStreamHub {
  private readonly outbox: OutboxRepository;
  private readonly formatter: EventFormatter;
  private readonly maxCatchUp: number;
  private readonly subscribers = new Set<Subscriber>();
  private unsubscribe?: () => void;

  constructor(opts: EventStreamHubOptions) {
    this.outbox = opts.outbox;
    this.formatter = opts.formatter ?? nativeFormatter;
    this.maxCatchUp = opts.maxCatchUp ?? 1000;
    this.unsubscribe = this.outbox.onCommitted((events) => this.publish(events));
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Starts pushing to `sink`; resolves (after any catch-up) with the unsubscribe function. */
  async subscribe(filter: StreamFilter, sink: StreamSink, catchUp?: StreamCatchUp): Promise<() => void> {
    const sub: Subscriber = { filter, sink };
    const off = (): void => {
      this.subscribers.delete(sub);
    };
    if (!catchUp || (catchUp.afterId === undefined && catchUp.since === undefined)) {
      this.subscribers.add(sub);
      return off;
    }
    // Subscribe first and hold live events, so nothing committed during the replay is missed.
    sub.held = [];
    this.subscribers.add(sub);
    try {
      const past = await this.outbox.listEvents({ applicationId: filter.applicationId, afterId: catchUp.afterId, since: catchUp.since, limit: this.maxCatchUp });
      const sent = new Set<string>();
      for (const e of past) {
        sent.add(e.id);
        this.deliver(sub, e);
      }
      const held = sub.held;
      sub.held = undefined;
      for (const e of held) if (!sent.has(e.id)) this.deliver(sub, e);
    } catch (err) {
      off();
      throw err;
    }
    return off;
  }

  /** Detaches from the outbox and drops every subscriber. */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.subscribers.clear();
  }

  private publish(events: readonly StoredEvent[]): void {
    for (const sub of this.subscribers) {
      for (const e of events) {
        if (sub.held) sub.held.push(e);
        else this.deliver(sub, e);
      }
    }
  }

  private deliver(sub: Subscriber, e: StoredEvent): void {
    if (sub.filter.applicationId !== undefined && e.applicationId !== sub.filter.applicationId) return;
    if (sub.filter.types && !sub.filter.types.includes(e.type)) return;
    const event: DomainEvent = { id: e.id, type: e.type, applicationId: e.applicationId, occurredAt: e.occurredAt, data: e.data };
    if (e.callId !== undefined) event.callId = e.callId;
    try {
      sub.sink(this.formatter(event), event);
    } catch {
      // One broken socket must not stop the others; the transport closes it.
    }
  }
}
