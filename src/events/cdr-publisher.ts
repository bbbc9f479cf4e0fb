// CDR push: when a call ends, its CDR goes to the application's CDR webhook as an event of type
// `cdr.created`, through the same outbox as every other event (signed, retried, ordered, kept
// across restarts). Target: the application's `cdrUrl` when its record has one, else its
// callback URL; neither = stored for replay and the event stream only.
//
// Why here and not in core's call.ended transaction: core writes the CDR rows together with
// call.ended; this publisher follows each committed call.ended and appends cdr.created right
// after (same call, so the per-call seq puts it behind call.ended on the wire). The gap
// between the two commits is covered by a sweep at start(): calls that ended within
// `sweepWindowMs` and have no cdr.created yet get one. The event id is derived from the call
// id (a UUID v7 stamped with the end time), so the sweep, a second node or a retry can never
// publish two different cdr.created events for one call.
//
// Body `data`: { cdr: <call CDR>, legs: [<leg CDR> …] } (core's CallCdr / LegCdr as stored).
import { createHash } from 'node:crypto';
import { nullLogger, systemClock, type Clock, type Logger } from '../lib/index.ts';
import type { CdrRecord, DeliveryTarget, Store, StoredEvent } from '../store/index.ts';

export const CDR_EVENT_TYPE = 'cdr.created';

export interface CdrPublisherOptions {
  store: Store;
  /** Default systemClock. */
  clock?: Clock;
  /** Default nullLogger. */
  logger?: Logger;
  /** Where an application's CDRs go; default its record's cdrUrl, else callbackUrl (see cdrTargetOf). */
  targetFor?: (applicationId: string) => Promise<DeliveryTarget | undefined>;
  /** How far back start() looks for ended calls without a cdr.created; default 3600000 ms (1 h). */
  sweepWindowMs?: number;
}

/** Typed event map of CdrPublisher. */
export interface CdrPublisherEvents {
  /** A cdr.created event was committed to the outbox. */
  published: (event: StoredEvent) => void;
  /** Publishing one call's CDR failed (the sweep at the next start retries it). */
  error: (err: unknown, callId: string) => void;
}

export class CdrPublisher {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly targetFor: (applicationId: string) => Promise<DeliveryTarget | undefined>;
  private readonly sweepWindowMs: number;
  private readonly listeners: { [K in keyof CdrPublisherEvents]: Set<CdrPublisherEvents[K]> } = {
    published: new Set(), error: new Set(),
  };
  private readonly running = new Set<Promise<void>>();
  private unsubscribe?: () => void;

  constructor(opts: CdrPublisherOptions) {
    this.store = opts.store;
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? nullLogger;
    this.targetFor = opts.targetFor ?? ((id) => cdrTargetOf(this.store, id));
    this.sweepWindowMs = opts.sweepWindowMs ?? 3_600_000;
  }

  on<K extends keyof CdrPublisherEvents>(event: K, listener: CdrPublisherEvents[K]): () => void {
    (this.listeners[event] as Set<CdrPublisherEvents[K]>).add(listener);
    return () => (this.listeners[event] as Set<CdrPublisherEvents[K]>).delete(listener);
  }

  /** Follows committed call.ended events, then sweeps recent calls missed by a previous run. */
  async start(): Promise<void> {
    if (this.unsubscribe) return;
    this.unsubscribe = this.store.outbox.onCommitted((events) => {
      for (const e of events) if (e.type === 'call.ended' && e.callId !== undefined) this.track(this.publish(e.callId, Date.parse(e.occurredAt)));
    });
    await this.sweep();
  }

  /** Stops following and waits for publications under way. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await Promise.allSettled([...this.running]);
  }

  /** Publications under way (tests wait on this). */
  settled(): Promise<void> {
    return Promise.allSettled([...this.running]).then(() => undefined);
  }

  /**
   * Appends cdr.created for one ended call unless it exists; returns it, or undefined (no CDR /
   * already there). `endedEventAt` is the call.ended event's occurredAt (ms) when known.
   */
  async publish(callId: string, endedEventAt?: number): Promise<StoredEvent | undefined> {
    try {
      const call = await this.store.calls.cdrs.get(callId);
      if (!call || call.kind !== 'call') return undefined;
      const id = cdrEventId(callId, call.endedAt);
      if (await this.store.outbox.getEvent(id)) return undefined;
      const legs: CdrRecord[] = [];
      for (let afterId: string | undefined; ;) {
        const page = await this.store.calls.cdrs.list({ callId, kind: 'leg', limit: 1000, ...(afterId ? { afterId } : {}) });
        legs.push(...page);
        if (page.length < 1000) break;
        afterId = page[page.length - 1].id;
      }
      const target = await this.targetFor(call.applicationId);
      let stored: StoredEvent;
      try {
        stored = await this.store.outbox.append({
          id, type: CDR_EVENT_TYPE, applicationId: call.applicationId, callId,
          occurredAt: new Date(cdrOccurredAt(call.endedAt, this.clock.now(), endedEventAt)).toISOString(),
          data: { cdr: call.record, legs: legs.map((l) => l.record) },
        }, target ? [target] : []);
      } catch (err) {
        // Another node (or the sweep) won the race: the primary key says it exists.
        if (await this.store.outbox.getEvent(id)) return undefined;
        throw err;
      }
      this.emit('published', stored);
      return stored;
    } catch (err) {
      this.logger.error({ err, callId }, 'CDR push: appending cdr.created failed; the next start sweeps it again');
      this.emit('error', err, callId);
      return undefined;
    }
  }

  /** Publishes for every call that ended within the sweep window and has no cdr.created. */
  async sweep(): Promise<number> {
    const since = this.clock.now() - this.sweepWindowMs;
    let n = 0;
    // CDR pages are by start time; a call that ended in the window started at most a day before it.
    for (let afterId: string | undefined; ;) {
      const page = await this.store.calls.cdrs.list({ kind: 'call', since: since - 86_400_000, limit: 1000, ...(afterId ? { afterId } : {}) });
      for (const c of page) if (c.endedAt >= since && (await this.publish(c.callId))) n++;
      if (page.length < 1000) break;
      afterId = page[page.length - 1].id;
    }
    if (n > 0) this.logger.info({ published: n }, 'CDR push: published CDRs a previous run had not');
    return n;
  }

  private track(p: Promise<unknown>): void {
    const done = p.then(() => undefined, () => undefined);
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
  }

  private emit<K extends keyof CdrPublisherEvents>(event: K, ...args: Parameters<CdrPublisherEvents[K]>): void {
    for (const l of this.listeners[event]) {
      try {
        (l as (...a: Parameters<CdrPublisherEvents[K]>) => void)(...args);
      } catch {
        // A listener's failure must not stop publishing.
      }
    }
  }
}

/** The application's CDR webhook: its record's `cdrUrl` when present, else its callback URL. */
export async function cdrTargetOf(store: Store, applicationId: string): Promise<DeliveryTarget | undefined> {
  const app = await store.tenancy.applications.get(applicationId);
  if (!app) return undefined;
  // `cdrUrl` is not a column yet (store/tenancy owns it); read it when a record carries one.
  const cdrUrl = (app as { cdrUrl?: string | null }).cdrUrl;
  const url = cdrUrl || app.callbackUrl;
  return url ? { url } : undefined;
}

/**
 * When cdr.created happened: now (it is created after call.ended committed), never before the
 * call's end, and strictly after call.ended's own occurredAt (+1 ms when they share a
 * millisecond). Replay orders by (occurredAt, id) and pages with `afterId`: stamped with the
 * end time, as before, it sorted before call.ended (whose time is taken a few ms later, after
 * media stats), so an app replaying after call.ended's id never got its CDR.
 */
export function cdrOccurredAt(endedAt: number, now: number, endedEventAt?: number): number {
  return Math.max(endedAt, now, endedEventAt !== undefined && Number.isFinite(endedEventAt) ? endedEventAt + 1 : 0);
}

/**
 * The one event id of a call's cdr.created: a UUID v7 (RFC 9562 §5.7) whose time is the call's
 * end and whose other 74 bits come from SHA-256 of the call id, so it is the same on every node.
 */
export function cdrEventId(callId: string, endedAtMs: number): string {
  return seededEventId(`cdr.created:${callId}`, endedAtMs);
}

/**
 * A UUID v7 whose time is `atMs` and whose other 74 bits come from SHA-256 of `seed`: the same
 * id on every node and every retry (cdrEventId, derivedEventId).
 */
export function seededEventId(seed: string, atMs: number): string {
  const b = createHash('sha256').update(seed).digest().subarray(0, 16);
  b.writeUIntBE(Math.max(0, Math.floor(atMs)), 0, 6);
  b[6] = 0x70 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
