// The transactional outbox: events are appended in the caller's transaction (bound through
// Store.transaction), so a state change and the events it causes commit together or not at
// all; their deliveries then wait here until a delivery engine (src/events) claims, sends and
// marks them. Rows survive any crash: a worker's claim is a lease that simply runs out.
//
// Ordering: events of one call get seq 1, 2, 3 … in append order, and claimDue() only hands
// out the lowest pending seq of a (call, endpoint) pair, so event n+1 of a call is never sent
// to an endpoint before event n was delivered there or declared dead. Events of different
// calls (and call-less events) are claimable side by side.
//
// It never decides policy (backoff, what is retryable, who the endpoints are): the engine does.
import { randomUUID } from 'node:crypto';
import { CompiledQuery, sql, type Expression, type ExpressionBuilder, type Insertable, type Kysely, type Selectable, type SqlBool } from 'kysely';
import { systemClock, type Clock } from '../../lib/index.ts';
import type { StoreDialect } from '../dialect.ts';
import type { Schema } from '../schema.ts';
import type { DeliveriesTable, EventsTable } from './tables.ts';
import type {
  ClaimedDelivery,
  DeliveryRecord,
  DeliveryState,
  DeliveryTarget,
  OutboxEvent,
  StoredEvent,
} from './outbox-event.ts';

/** Advisory-lock space for per-call seq assignment (fixed forever; see ../row-lock.ts). */
const SEQ_LOCK_SPACE = 0x5342_0003;
/** Rows per INSERT: 17 parameters a delivery row keeps 300 rows far below SQLite's 32,766. */
const INSERT_CHUNK = 300;
/** Largest page any list method returns. */
const MAX_PAGE = 1000;

export type CommittedListener = (events: readonly StoredEvent[]) => void;

export interface OutboxRepositoryOptions {
  /** The engine behind `db` (per-call locking, SKIP LOCKED); required. */
  dialect: StoreDialect;
  /** Stamps created_at / updated_at and is "now" for claims; default systemClock. */
  clock?: Clock;
  /**
   * Set by Store.transaction: events appended through this repository are collected here and
   * announced by the store after COMMIT (never before: a rolled-back event must not be seen).
   * Unset = every append commits by itself and is announced right away.
   */
  committedBuffer?: StoredEvent[];
  /** Where announcements go (the store's root repository); default: this repository. */
  announcer?: OutboxRepository;
}

export interface AppendItem {
  event: OutboxEvent;
  targets: readonly DeliveryTarget[];
}

export interface ClaimOptions {
  /** Who claims (a node id); leases of a dead owner can be released at its restart. */
  owner: string;
  /** How long the claim holds before another worker may take the delivery. */
  leaseMs: number;
  /** Most deliveries to claim. */
  limit: number;
}

export interface EventQuery {
  /** Only this application's events; default all. */
  applicationId?: string;
  /** Events that occurred at or after this time (ms since the epoch). */
  since?: number;
  /** Events after this one in (occurredAt, id) order; wins over `since` when both are set. */
  afterId?: string;
  /** Page size; default 100, at most 1000. */
  limit?: number;
}

export interface DeliveryQuery {
  applicationId?: string;
  /** Default: every state. */
  state?: DeliveryState;
  /** Page size; default 100, at most 1000. */
  limit?: number;
}

export interface RedeliverQuery {
  /** Exactly these deliveries. */
  deliveryIds?: readonly string[];
  /** Every delivery of these events. */
  eventIds?: readonly string[];
  /** Only this application's deliveries. */
  applicationId?: string;
  /** Only deliveries of events that occurred at or after this time (ms). */
  since?: number;
  /** Which states to send again; default ['dead']. */
  states?: readonly DeliveryState[];
}

export class OutboxRepository {
  private readonly clock: Clock;
  private readonly dialect: StoreDialect;
  private readonly committedBuffer?: StoredEvent[];
  private readonly announcer: OutboxRepository;
  private readonly listeners = new Set<CommittedListener>();

  /** `db` may be a Transaction: then every method runs inside it (see Store.transaction). */
  constructor(
    private readonly db: Kysely<Schema>,
    opts: OutboxRepositoryOptions,
  ) {
    this.dialect = opts.dialect;
    this.clock = opts.clock ?? systemClock;
    this.committedBuffer = opts.committedBuffer;
    this.announcer = opts.announcer ?? this;
  }

  /** Hears every batch of events once committed (delivery engine, live streams); returns unsubscribe. */
  onCommitted(listener: CommittedListener): () => void {
    this.announcer.listeners.add(listener);
    return () => this.announcer.listeners.delete(listener);
  }

  /** Called by the store after COMMIT with what a transaction appended. */
  announceCommitted(events: readonly StoredEvent[]): void {
    if (events.length === 0) return;
    for (const l of [...this.announcer.listeners]) {
      try {
        l(events);
      } catch {
        // A listener's failure must not undo or hide a commit that already happened.
      }
    }
  }

  /** Appends one event and its deliveries (one per target; none = stored for replay only). */
  async append(event: OutboxEvent, targets: readonly DeliveryTarget[]): Promise<StoredEvent> {
    const [stored] = await this.appendMany([{ event, targets }]);
    return stored;
  }

  /** Appends events in the given order (seq follows it within each call), atomically. */
  async appendMany(items: readonly AppendItem[]): Promise<StoredEvent[]> {
    if (items.length === 0) return [];
    const now = this.clock.now();
    for (const { event } of items) validateEvent(event);
    const stored = await this.atomically(async (db) => {
      const nextSeq = new Map<string, number>();
      const callIds = [...new Set(items.map((i) => i.event.callId).filter((c): c is string => c !== undefined))].sort();
      if (this.dialect === 'postgres') {
        // Two nodes appending to one call must not both take seq n: the later waits here.
        // Sorted, so two appenders of overlapping calls take the locks in one order (no deadlock).
        for (const callId of callIds) {
          await sql`select pg_advisory_xact_lock(${SEQ_LOCK_SPACE}::int4, hashtext(${callId}))`.execute(db);
        }
      }
      for (const callId of callIds) nextSeq.set(callId, 1);
      // One grouped query for the whole batch, not one per call (a batch spans many calls).
      for (let i = 0; i < callIds.length; i += MAX_PAGE) {
        const rows = await db
          .selectFrom('events')
          .select(['call_id', (eb) => eb.fn.max('seq').as('max')])
          .where('call_id', 'in', callIds.slice(i, i + MAX_PAGE))
          .groupBy('call_id')
          .execute();
        for (const r of rows) if (r.call_id !== null) nextSeq.set(r.call_id, Number(r.max ?? 0) + 1);
      }
      const out: StoredEvent[] = [];
      const eventRows: Insertable<EventsTable>[] = [];
      const deliveryRows: Insertable<DeliveriesTable>[] = [];
      for (const { event, targets } of items) {
        let seq: number | undefined;
        if (event.callId !== undefined) {
          seq = nextSeq.get(event.callId)!;
          nextSeq.set(event.callId, seq + 1);
        }
        const s: StoredEvent = { ...event, createdAt: now };
        if (seq !== undefined) s.seq = seq;
        out.push(s);
        eventRows.push({
          id: event.id,
          application_id: event.applicationId,
          call_id: event.callId ?? null,
          seq: seq ?? null,
          type: event.type,
          data: JSON.stringify(event.data),
          occurred_at: Date.parse(event.occurredAt),
          created_at: now,
        });
        for (const t of targets) {
          deliveryRows.push({
            id: randomUUID(),
            event_id: event.id,
            application_id: event.applicationId,
            call_id: event.callId ?? null,
            seq: seq ?? null,
            url: t.url,
            format: t.format ?? 'native',
            state: 'pending',
            attempts: 0,
            next_attempt_at: now,
            lease_owner: null,
            lease_until: null,
            last_status: null,
            last_error: null,
            delivered_at: null,
            created_at: now,
            updated_at: now,
          });
        }
      }
      for (let i = 0; i < eventRows.length; i += INSERT_CHUNK) {
        await db.insertInto('events').values(eventRows.slice(i, i + INSERT_CHUNK)).execute();
      }
      for (let i = 0; i < deliveryRows.length; i += INSERT_CHUNK) {
        await db.insertInto('deliveries').values(deliveryRows.slice(i, i + INSERT_CHUNK)).execute();
      }
      return out;
    });
    if (this.committedBuffer) this.committedBuffer.push(...stored);
    else this.announceCommitted(stored);
    return stored;
  }

  /**
   * Leases up to `limit` deliveries that are due now, each the head of its (call, endpoint)
   * queue, to `owner`; returns them with their events, earliest due first.
   */
  async claimDue(opts: ClaimOptions): Promise<ClaimedDelivery[]> {
    const now = this.clock.now();
    const limit = Math.max(1, Math.floor(opts.limit));
    // One statement (UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING), atomic on its own, so
    // no explicit transaction; its text is built once per dialect (see claimSql) because
    // building it with Kysely on every poll cost more than running it.
    const query = CompiledQuery.raw(claimSql(this.dialect), [opts.owner, now + opts.leaseMs, now, now, now, limit]);
    const claimed = (await this.db.executeQuery<Selectable<DeliveriesTable>>(query)).rows;
    if (claimed.length === 0) return [];
    const events = await this.eventRowsById(claimed.map((d) => d.event_id));
    const out: ClaimedDelivery[] = [];
    for (const row of claimed.sort((a, b) => Number(a.next_attempt_at) - Number(b.next_attempt_at) || Number(a.seq ?? 0) - Number(b.seq ?? 0))) {
      const event = events.get(row.event_id);
      if (event) out.push({ delivery: deliveryFromRow(row), event: eventFromRow(event), dataJson: event.data });
    }
    return out;
  }

  /** Gives back every lease `owner` holds (a node restarting after a crash); returns how many. */
  async releaseLeases(owner: string): Promise<number> {
    const r = await this.db
      .updateTable('deliveries')
      .set({ lease_owner: null, lease_until: null, updated_at: this.clock.now() })
      .where('lease_owner', '=', owner)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** The attempt succeeded. */
  async markDelivered(id: string, status: number): Promise<void> {
    const now = this.clock.now();
    await this.db
      .updateTable('deliveries')
      .set((eb) => ({
        state: 'delivered',
        attempts: eb('attempts', '+', 1),
        last_status: status,
        last_error: null,
        delivered_at: now,
        lease_owner: null,
        lease_until: null,
        updated_at: now,
      }))
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .execute();
  }

  /**
   * Several attempts succeeded: one UPDATE per distinct status (usually one) instead of one
   * per delivery — the delivery engine collects its successes and marks them together.
   */
  async markDeliveredMany(items: readonly { id: string; status: number }[]): Promise<void> {
    if (items.length === 0) return;
    const byStatus = new Map<number, string[]>();
    for (const { id, status } of items) {
      const ids = byStatus.get(status);
      if (ids) ids.push(id);
      else byStatus.set(status, [id]);
    }
    const now = this.clock.now();
    await this.atomically(async (db) => {
      for (const [status, ids] of byStatus) {
        for (let i = 0; i < ids.length; i += MAX_PAGE) {
          await db
            .updateTable('deliveries')
            .set((eb) => ({
              state: 'delivered',
              attempts: eb('attempts', '+', 1),
              last_status: status,
              last_error: null,
              delivered_at: now,
              lease_owner: null,
              lease_until: null,
              updated_at: now,
            }))
            .where('id', 'in', ids.slice(i, i + MAX_PAGE))
            .where('state', '=', 'pending')
            .execute();
        }
      }
    });
  }

  /** The attempt failed and may be retried at `nextAttemptAt`. */
  async markRetry(id: string, failure: { nextAttemptAt: number; status?: number; error: string }): Promise<void> {
    const now = this.clock.now();
    await this.db
      .updateTable('deliveries')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        next_attempt_at: failure.nextAttemptAt,
        last_status: failure.status ?? null,
        last_error: failure.error,
        lease_owner: null,
        lease_until: null,
        updated_at: now,
      }))
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .execute();
  }

  /** The attempt failed for good: a dead letter, visible through listDeliveries({state:'dead'}). */
  async markDead(id: string, failure: { status?: number; error: string }): Promise<void> {
    const now = this.clock.now();
    await this.db
      .updateTable('deliveries')
      .set((eb) => ({
        state: 'dead',
        attempts: eb('attempts', '+', 1),
        last_status: failure.status ?? null,
        last_error: failure.error,
        lease_owner: null,
        lease_until: null,
        updated_at: now,
      }))
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .execute();
  }

  /**
   * When the earliest claimable delivery (a queue head) becomes due or its lease runs out
   * (ms); undefined when nothing is pending. The engine sleeps until then.
   */
  async nextDueAt(): Promise<number | undefined> {
    const r = await this.db
      .selectFrom('deliveries as d')
      .select((eb) => eb.fn.min(sql<number>`case when d.lease_until is null or d.lease_until < d.next_attempt_at then d.next_attempt_at else d.lease_until end`).as('at'))
      .where('d.state', '=', 'pending')
      .where(isQueueHead)
      .executeTakeFirst();
    return r?.at === null || r?.at === undefined ? undefined : Number(r.at);
  }

  /** Deliveries by state, newest change first (dead letters: `{ state: 'dead' }`). */
  async listDeliveries(q: DeliveryQuery = {}): Promise<DeliveryRecord[]> {
    let query = this.db.selectFrom('deliveries').selectAll();
    if (q.applicationId !== undefined) query = query.where('application_id', '=', q.applicationId);
    if (q.state !== undefined) query = query.where('state', '=', q.state);
    const rows = await query.orderBy('updated_at', 'desc').orderBy('id').limit(pageSize(q.limit)).execute();
    return rows.map(deliveryFromRow);
  }

  /** Every delivery of one event (one per endpoint). */
  async deliveriesOf(eventId: string): Promise<DeliveryRecord[]> {
    const rows = await this.db.selectFrom('deliveries').selectAll().where('event_id', '=', eventId).orderBy('url').execute();
    return rows.map(deliveryFromRow);
  }

  /**
   * Where a call's latest event went (url and format of each delivery of its highest seq):
   * so an event recorded for the call later, by someone who no longer holds it in memory
   * (call recovery after a crash), reaches the same receivers in the same format. [] if none.
   */
  async lastTargetsOfCall(callId: string): Promise<DeliveryTarget[]> {
    const top = await this.db.selectFrom('deliveries').select((eb) => eb.fn.max('seq').as('max')).where('call_id', '=', callId).executeTakeFirst();
    if (top?.max === null || top?.max === undefined) return [];
    const rows = await this.db.selectFrom('deliveries').select(['url', 'format'])
      .where('call_id', '=', callId).where('seq', '=', Number(top.max)).orderBy('url').execute();
    return rows.map((r) => ({ url: r.url, format: r.format }));
  }

  /** Counts by state (for metrics and health). */
  async countByState(): Promise<Record<DeliveryState, number>> {
    const rows = await this.db
      .selectFrom('deliveries')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('state')
      .execute();
    const out: Record<DeliveryState, number> = { pending: 0, delivered: 0, dead: 0 };
    for (const r of rows) out[r.state as DeliveryState] = Number(r.n);
    return out;
  }

  /** Deliveries still pending (the webhook queue depth; served by the partial index on pending rows). */
  async countPending(): Promise<number> {
    const r = await this.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async getEvent(id: string): Promise<StoredEvent | undefined> {
    return (await this.eventsById([id])).get(id);
  }

  /** Replay: events in (occurredAt, id) order from a time or after an id (GET /v1/events). */
  async listEvents(q: EventQuery = {}): Promise<StoredEvent[]> {
    let query = this.db.selectFrom('events').selectAll();
    if (q.applicationId !== undefined) query = query.where('application_id', '=', q.applicationId);
    if (q.afterId !== undefined) {
      const after = await this.db.selectFrom('events').select(['occurred_at', 'id']).where('id', '=', q.afterId).executeTakeFirst();
      // An unknown id must not silently replay everything: the caller asked for "after X".
      if (!after) return [];
      const at = Number(after.occurred_at);
      query = query.where((eb) =>
        eb.or([eb('occurred_at', '>', at), eb.and([eb('occurred_at', '=', at), eb('id', '>', after.id)])]),
      );
    } else if (q.since !== undefined) {
      query = query.where('occurred_at', '>=', q.since);
    }
    const rows = await query.orderBy('occurred_at').orderBy('id').limit(pageSize(q.limit)).execute();
    return rows.map(eventFromRow);
  }

  /** Sends matching deliveries again from attempt 0, due now (operator replay); returns how many. */
  async redeliver(q: RedeliverQuery): Promise<number> {
    const now = this.clock.now();
    const states = q.states ?? ['dead'];
    if (states.length === 0) return 0;
    let query = this.db
      .updateTable('deliveries')
      .set({
        state: 'pending',
        attempts: 0,
        next_attempt_at: now,
        lease_owner: null,
        lease_until: null,
        delivered_at: null,
        updated_at: now,
      })
      .where('state', 'in', [...states]);
    if (q.deliveryIds !== undefined) query = query.where('id', 'in', q.deliveryIds.length ? [...q.deliveryIds] : ['']);
    if (q.eventIds !== undefined) query = query.where('event_id', 'in', q.eventIds.length ? [...q.eventIds] : ['']);
    if (q.applicationId !== undefined) query = query.where('application_id', '=', q.applicationId);
    if (q.since !== undefined) {
      const since = q.since;
      query = query.where('event_id', 'in', (eb) => eb.selectFrom('events').select('id').where('occurred_at', '>=', since));
    }
    const r = await query.executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Drops delivered deliveries older than `before` (ms) and events left with none; returns deliveries removed. */
  async purgeDelivered(before: number): Promise<number> {
    return this.atomically(async (db) => {
      const r = await db.deleteFrom('deliveries').where('state', '=', 'delivered').where('delivered_at', '<', before).executeTakeFirst();
      await db
        .deleteFrom('events')
        .where('created_at', '<', before)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('deliveries').select(sql<number>`1`.as('one')).whereRef('deliveries.event_id', '=', 'events.id'))))
        .execute();
      return Number(r.numDeletedRows);
    });
  }

  private async eventsById(ids: readonly string[]): Promise<Map<string, StoredEvent>> {
    const out = new Map<string, StoredEvent>();
    for (const [id, r] of await this.eventRowsById(ids)) out.set(id, eventFromRow(r));
    return out;
  }

  private async eventRowsById(ids: readonly string[]): Promise<Map<string, Selectable<EventsTable>>> {
    const unique = [...new Set(ids)];
    const out = new Map<string, Selectable<EventsTable>>();
    for (let i = 0; i < unique.length; i += MAX_PAGE) {
      const rows = await this.db.selectFrom('events').selectAll().where('id', 'in', unique.slice(i, i + MAX_PAGE)).execute();
      for (const r of rows) out.set(r.id, r);
    }
    return out;
  }

  /** Runs fn in a transaction, or in the caller's when this repository is bound to one. */
  private async atomically<T>(fn: (db: Kysely<Schema>) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return fn(this.db);
    return this.db.transaction().execute(fn);
  }
}

const claimSqlCache = new Map<StoreDialect, string>();

/**
 * The claim statement; parameters: owner, lease_until, updated_at, now (due), now (lease
 * expired), limit. Same predicate as isQueueHead (the head of its (call, endpoint) queue),
 * served by deliveries_due_idx and deliveries_order_idx. PostgreSQL: SKIP LOCKED, so several
 * nodes polling one database each take different rows instead of queueing.
 */
function claimSql(dialect: StoreDialect): string {
  let text = claimSqlCache.get(dialect);
  if (text !== undefined) return text;
  let n = 0;
  const p = (): string => (dialect === 'postgres' ? `$${++n}` : '?');
  text =
    `update deliveries set lease_owner = ${p()}, lease_until = ${p()}, updated_at = ${p()} ` +
    `where id in (select d.id from deliveries d where d.state = 'pending' and d.next_attempt_at <= ${p()} ` +
    `and (d.lease_until is null or d.lease_until <= ${p()}) ` +
    `and (d.call_id is null or not exists (select 1 from deliveries q where q.call_id = d.call_id and q.url = d.url and q.state = 'pending' and q.seq < d.seq)) ` +
    `order by d.next_attempt_at, d.seq limit ${p()}${dialect === 'postgres' ? ' for update skip locked' : ''}) ` +
    `returning *`;
  claimSqlCache.set(dialect, text);
  return text;
}

/**
 * `d` is the head of its (call, endpoint) queue: no lower seq of that call is still pending
 * for that URL. Call-less deliveries are always heads.
 */
function isQueueHead(eb: ExpressionBuilder<Schema & { d: DeliveriesTable }, 'd'>): Expression<SqlBool> {
  return eb.or([
    eb('d.call_id', 'is', null),
    eb.not(
      eb.exists(
        eb
          .selectFrom('deliveries as p')
          .select(sql<number>`1`.as('one'))
          .whereRef('p.call_id', '=', 'd.call_id')
          .whereRef('p.url', '=', 'd.url')
          .where('p.state', '=', 'pending')
          .whereRef('p.seq', '<', 'd.seq'),
      ),
    ),
  ]);
}

function pageSize(limit: number | undefined): number {
  return Math.min(MAX_PAGE, Math.max(1, Math.floor(limit ?? 100)));
}

function validateEvent(e: OutboxEvent): void {
  if (!e.id || !e.type || !e.applicationId) throw new TypeError(`event needs id, type and applicationId (got ${JSON.stringify(e.id)})`);
  const ms = Date.parse(e.occurredAt);
  // Stored as ms and read back with toISOString(): anything else would not round-trip.
  if (Number.isNaN(ms) || new Date(ms).toISOString() !== e.occurredAt) {
    throw new TypeError(`event ${e.id}: occurredAt must be ISO 8601 UTC with milliseconds, got ${JSON.stringify(e.occurredAt)}`);
  }
}

function eventFromRow(r: Selectable<EventsTable>): StoredEvent {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(r.data) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`events row ${r.id}: column data is not JSON`, { cause: err });
  }
  const e: StoredEvent = {
    id: r.id,
    type: r.type,
    applicationId: r.application_id,
    occurredAt: new Date(Number(r.occurred_at)).toISOString(),
    data,
    createdAt: Number(r.created_at),
  };
  if (r.call_id !== null) e.callId = r.call_id;
  if (r.seq !== null) e.seq = Number(r.seq);
  return e;
}

function deliveryFromRow(r: Selectable<DeliveriesTable>): DeliveryRecord {
  const d: DeliveryRecord = {
    id: r.id,
    eventId: r.event_id,
    applicationId: r.application_id,
    url: r.url,
    format: r.format,
    state: r.state as DeliveryState,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
  if (r.call_id !== null) d.callId = r.call_id;
  if (r.seq !== null) d.seq = Number(r.seq);
  if (r.last_status !== null) d.lastStatus = Number(r.last_status);
  if (r.last_error !== null) d.lastError = r.last_error;
  if (r.delivered_at !== null) d.deliveredAt = Number(r.delivered_at);
  return d;
}
