// Sends the outbox's pending deliveries to their webhook endpoints: claims due ones, POSTs
// them signed, and records the outcome (delivered, retry later, dead). At-least-once: a crash
// between the POST and the mark means the event is sent again, with the same event id.
//
// Order: the outbox only hands out the head of each (call, endpoint) queue, so one call's
// events reach an endpoint in order, while different calls are sent in parallel (up to
// `concurrency` requests in flight).
//
// Speed (goal ≥ 2,000 events/s on SQLite, docs/benchmarks.md): requests go out over pooled
// keep-alive node:http sockets (webhook-http-client.ts), successes are marked delivered in one
// UPDATE per batch (the next event of a call is claimed only after its predecessor's batch
// committed, so order holds), the native body splices the stored data JSON instead of parsing
// and re-serialising it, and the outbox is asked when to wake next only when nothing is in
// flight (every completion pokes anyway).
//
// Wake-ups: right after events commit (the store announces them), after each finished attempt
// (the next event of that call may now be due), when the earliest retry falls due, and every
// pollIntervalMs as a safety net (e.g. rows appended by another process or node).
//
// Lifecycle:
//
//   idle ──start()──► running ──drain(deadline)──► draining ──stop()──► stopped
//                        └───────────────────stop()─────────────────────────┘
//
// start() first releases leases this owner held before a crash, so a restart resends at once.
// stop() aborts requests in flight without recording them as attempts: their leases are
// released at the next start (or expire), and they are sent again.
import type { DomainEvent } from '../core/index.ts';
import { nullLogger, systemClock, type Clock, type Logger, type TimerHandle } from '../lib/index.ts';
import type { ClaimedDelivery, DeliveryRecord, OutboxRepository } from '../store/index.ts';
import { DEFAULT_FORMATTERS, nativeBody, nativeFormatter, type DeliveryFormatter, type DeliveryHeaders, type EventFormatter } from './event-formatter.ts';
import type { DeliveryGate } from './delivery-gate.ts';
import { DEFAULT_RETRY_POLICY, isRetryable, retryDelay, type RetryPolicy } from './retry-policy.ts';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signatureHeader } from './signature.ts';
import { WebhookHttpClient, postWithFetch, type WebhookPost } from './webhook-http-client.ts';

/** An application's active signing secrets, newest first (none = unsigned, with a warning). */
export type SecretsProvider = (applicationId: string) => readonly string[] | Promise<readonly string[]>;

export interface WebhookDeliveryOptions {
  /** The store's outbox (store.outbox); required. */
  outbox: OutboxRepository;
  /** Default systemClock. */
  clock?: Clock;
  /** Default nullLogger. */
  logger?: Logger;
  /** Lease owner name; give each node its own stable one. Default 'local'. */
  owner?: string;
  /** Signing secrets per application; default: none (requests go unsigned, logged once per application). */
  secrets?: SecretsProvider;
  /** Body formatters by delivery format; default { native }. Extra entries add to the defaults. */
  formatters?: Readonly<Record<string, EventFormatter | DeliveryFormatter>>;
  /** Extra headers per delivery format (added after the standard ones); default none. */
  formatHeaders?: Readonly<Record<string, DeliveryHeaders>>;
  /**
   * A check per delivery format that runs before each POST (e.g. the Event Grid validation
   * handshake of the endpoint): a reason string holds the delivery back as a failed attempt,
   * retried with backoff and dead after the usual limits. Default none.
   */
  gates?: Readonly<Record<string, DeliveryGate>>;
  /** Per-request timeout; default 5000 ms. */
  timeoutMs?: number;
  /** Most requests in flight at once; default 64. */
  concurrency?: number;
  /** Longest sleep between polls of the outbox; default 1000 ms. */
  pollIntervalMs?: number;
  /** How long a claim holds before another worker may take it over; default timeoutMs + 30000 ms. */
  leaseMs?: number;
  /** Backoff and give-up rules; default DEFAULT_RETRY_POLICY (fields may be given one by one). */
  retry?: Partial<RetryPolicy>;
  /** Source of jitter in [0, 1); default Math.random (tests pass a constant). */
  random?: () => number;
  /** HTTP client; default a keep-alive node:http(s) client (WebhookHttpClient) owned by the engine. */
  post?: WebhookPost;
  /** A fetch-compatible client instead (tests inject one); ignored when `post` is given; default unset. */
  fetch?: typeof fetch;
  /** User-Agent header; default 'Switchboard-Webhooks/1'. */
  userAgent?: string;
}

export interface AttemptInfo {
  delivery: DeliveryRecord;
  event: DomainEvent;
  /** Which attempt this was (1-based). */
  attempt: number;
  /** HTTP status, when a response came. */
  status?: number;
  /** Why it failed, when it did. */
  error?: string;
  /** How long the request took, ms. */
  durationMs: number;
}

/** Typed event map of the engine. */
export interface WebhookDeliveryEvents {
  delivered: (info: AttemptInfo) => void;
  retry: (info: AttemptInfo & { nextAttemptAt: number }) => void;
  dead: (info: AttemptInfo) => void;
  /** The engine itself failed (e.g. a database error); it keeps polling. */
  error: (err: unknown) => void;
}

export type WebhookDeliveryState = 'idle' | 'running' | 'draining' | 'stopped';

interface Outcome {
  status?: number;
  error?: string;
  aborted?: boolean;
}

export class WebhookDeliveryEngine {
  private readonly outbox: OutboxRepository;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly owner: string;
  private readonly secrets: SecretsProvider;
  private readonly formatters: Readonly<Record<string, EventFormatter | DeliveryFormatter>>;
  private readonly formatHeaders: Readonly<Record<string, DeliveryHeaders>>;
  private readonly gates: Readonly<Record<string, DeliveryGate>>;
  private readonly timeoutMs: number;
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly policy: RetryPolicy;
  private readonly random: () => number;
  private readonly postFn: WebhookPost;
  /** Set when the engine made its own client, closed by stop(). */
  private readonly ownClient?: WebhookHttpClient;
  /** Successes waiting for the next batched markDeliveredMany, with who waits on them. */
  private pendingMarks: { id: string; status: number; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private flushScheduled = false;
  /** Earliest nextAttemptAt this engine set by markRetry (a wake-up it needs no query for). */
  private ownNextRetryAt = Number.POSITIVE_INFINITY;
  private readonly userAgent: string;
  private readonly listeners: { [K in keyof WebhookDeliveryEvents]: Set<WebhookDeliveryEvents[K]> } = {
    delivered: new Set(), retry: new Set(), dead: new Set(), error: new Set(),
  };
  private readonly inFlight = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private readonly unsignedWarned = new Set<string>();
  private stateValue: WebhookDeliveryState = 'idle';
  private pumping = false;
  private again = false;
  private pokeScheduled = false;
  private wake?: TimerHandle;
  private unsubscribe?: () => void;
  private idleWaiters: (() => void)[] = [];

  constructor(opts: WebhookDeliveryOptions) {
    this.outbox = opts.outbox;
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? nullLogger;
    this.owner = opts.owner ?? 'local';
    this.secrets = opts.secrets ?? (() => []);
    this.formatters = { ...DEFAULT_FORMATTERS, ...opts.formatters };
    this.formatHeaders = opts.formatHeaders ?? {};
    this.gates = opts.gates ?? {};
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.concurrency = Math.max(1, opts.concurrency ?? 64);
    this.pollIntervalMs = opts.pollIntervalMs ?? 1000;
    this.leaseMs = opts.leaseMs ?? this.timeoutMs + 30_000;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
    this.random = opts.random ?? Math.random;
    if (opts.post) this.postFn = opts.post;
    else if (opts.fetch) this.postFn = postWithFetch(opts.fetch);
    else {
      this.ownClient = new WebhookHttpClient({ maxSockets: Math.max(this.concurrency, 1) });
      this.postFn = this.ownClient.post;
    }
    this.userAgent = opts.userAgent ?? 'Switchboard-Webhooks/1';
  }

  get state(): WebhookDeliveryState {
    return this.stateValue;
  }

  /** Requests in flight now. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  on<K extends keyof WebhookDeliveryEvents>(event: K, listener: WebhookDeliveryEvents[K]): () => void {
    (this.listeners[event] as Set<WebhookDeliveryEvents[K]>).add(listener);
    return () => (this.listeners[event] as Set<WebhookDeliveryEvents[K]>).delete(listener);
  }

  async start(): Promise<void> {
    if (this.stateValue !== 'idle') throw new Error(`webhook delivery engine cannot start when ${this.stateValue}`);
    this.stateValue = 'running';
    const released = await this.outbox.releaseLeases(this.owner);
    if (released > 0) this.logger.info({ released, owner: this.owner }, 'webhook deliveries left in flight by a previous run are due again');
    this.unsubscribe = this.outbox.onCommitted(() => this.poke());
    this.poke();
  }

  /** Look for due deliveries soon (coalesced: many pokes, one query). */
  poke(): void {
    if (this.stateValue !== 'running' || this.pokeScheduled) return;
    this.pokeScheduled = true;
    setImmediate(() => {
      this.pokeScheduled = false;
      void this.pump();
    });
  }

  /** Stop claiming; wait for requests in flight until `deadline` (ms on the clock). */
  async drain(deadline: number): Promise<void> {
    if (this.stateValue === 'running') this.stateValue = 'draining';
    this.wake?.cancel();
    if (this.inFlight.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = this.clock.setTimeout(resolve, Math.max(0, deadline - this.clock.now()));
      this.idleWaiters.push(() => {
        timer.cancel();
        resolve();
      });
    });
  }

  /** Abort what is in flight (sent again later: at-least-once) and stop; idempotent. */
  async stop(): Promise<void> {
    if (this.stateValue === 'stopped') return;
    this.stateValue = 'stopped';
    this.wake?.cancel();
    this.unsubscribe?.();
    const pending = [...this.inFlight.values()];
    for (const f of pending) f.abort.abort();
    await Promise.allSettled(pending.map((f) => f.done));
    // Successes already answered are recorded, not resent.
    await this.flushMarks();
    this.ownClient?.close();
  }

  private get claiming(): boolean {
    return this.stateValue === 'running';
  }

  private async pump(): Promise<void> {
    if (!this.claiming) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    this.wake?.cancel();
    this.wake = undefined;
    try {
      do {
        this.again = false;
        const room = this.concurrency - this.inFlight.size;
        if (room <= 0) break;
        const claimed = await this.outbox.claimDue({ owner: this.owner, leaseMs: this.leaseMs, limit: room });
        if (!this.claiming) {
          // Stopped while claiming: leave them leased; released at the next start.
          break;
        }
        for (const c of claimed) this.send(c);
        if (claimed.length === room) this.again = true;
      } while (this.again && this.claiming);
      if (this.claiming) await this.scheduleWake();
    } catch (err) {
      this.emit('error', err);
      this.logger.error({ err }, 'webhook delivery poll failed');
      if (this.claiming) this.setWake(this.pollIntervalMs);
    } finally {
      this.pumping = false;
    }
  }

  private async scheduleWake(): Promise<void> {
    const now = this.clock.now();
    if (this.inFlight.size > 0) {
      // Each completion pokes; only our own retries (known without a query) or rows another
      // process appended can fall due meanwhile, and the poll interval covers the latter.
      this.setWake(Math.max(0, Math.min(this.ownNextRetryAt - now, this.pollIntervalMs)));
      return;
    }
    this.ownNextRetryAt = Number.POSITIVE_INFINITY;
    const due = await this.outbox.nextDueAt();
    // Due now but not claimable means it waits behind an in-flight event of its call; the
    // completion of that one pokes, so a full poll interval is enough here.
    const delay = due !== undefined && due > now ? Math.min(due - now, this.pollIntervalMs) : this.pollIntervalMs;
    if (this.claiming) this.setWake(delay);
  }

  private setWake(ms: number): void {
    this.wake?.cancel();
    this.wake = this.clock.setTimeout(() => {
      this.wake = undefined;
      void this.pump();
    }, ms);
  }

  private send(claimed: ClaimedDelivery): void {
    const abort = new AbortController();
    const entry = { abort, done: Promise.resolve() };
    this.inFlight.set(claimed.delivery.id, entry);
    entry.done = this.attempt(claimed, abort)
      .catch((err) => {
        this.emit('error', err);
        this.logger.error({ err, delivery: claimed.delivery.id }, 'recording a webhook attempt failed; its lease will expire and it is sent again');
      })
      .finally(() => {
        this.inFlight.delete(claimed.delivery.id);
        if (this.inFlight.size === 0) for (const w of this.idleWaiters.splice(0)) w();
        this.poke();
      });
  }

  private async attempt(claimed: ClaimedDelivery, abort: AbortController): Promise<void> {
    const { delivery, event } = claimed;
    const attempt = delivery.attempts + 1;
    const started = this.clock.now();
    const base = { delivery, event: toDomainEvent(event), attempt };

    const formatter = this.formatters[delivery.format];
    let body: string | null;
    try {
      if (!formatter) throw new Error(`no formatter named '${delivery.format}'`);
      body = formatter === nativeFormatter && claimed.dataJson !== undefined
        ? nativeBody(base.event, claimed.dataJson)
        : formatter(base.event);
    } catch (err) {
      const error = `format failed: ${err instanceof Error ? err.message : String(err)}`;
      await this.outbox.markDead(delivery.id, { error });
      this.emit('dead', { ...base, error, durationMs: 0 });
      return;
    }
    if (body === null) {
      // The face has no such event: nothing to send, nothing to retry (status 0 = not sent).
      await this.markDelivered(delivery.id, 0);
      return;
    }

    const held = await this.gate(delivery, base.event);
    const outcome = held !== undefined ? { error: held } : await this.post(delivery, body, abort, base.event);
    if (outcome.aborted) return; // stopping: not an attempt; resent after restart
    const now = this.clock.now();
    const info: AttemptInfo = { ...base, durationMs: now - started };
    if (outcome.status !== undefined) info.status = outcome.status;
    if (outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300) {
      await this.markDelivered(delivery.id, outcome.status);
      this.emit('delivered', info);
      return;
    }
    const error = outcome.error ?? `HTTP ${outcome.status}`;
    info.error = error;
    if (!isRetryable(outcome.status)) {
      await this.outbox.markDead(delivery.id, { status: outcome.status, error });
      this.logger.warn({ delivery: delivery.id, event: event.id, url: delivery.url, status: outcome.status }, 'webhook refused; delivery is dead (no retry on 4xx)');
      this.emit('dead', info);
      return;
    }
    const nextAttemptAt = now + retryDelay(attempt, this.policy, this.random());
    if (attempt >= this.policy.maxAttempts || nextAttemptAt - delivery.createdAt > this.policy.maxAgeMs) {
      const final = `gave up after ${attempt} attempts: ${error}`;
      await this.outbox.markDead(delivery.id, { status: outcome.status, error: final });
      this.logger.warn({ delivery: delivery.id, event: event.id, url: delivery.url, attempts: attempt }, 'webhook delivery gave up; delivery is dead');
      this.emit('dead', { ...info, error: final });
      return;
    }
    await this.outbox.markRetry(delivery.id, { nextAttemptAt, status: outcome.status, error });
    if (nextAttemptAt < this.ownNextRetryAt) this.ownNextRetryAt = nextAttemptAt;
    this.emit('retry', { ...info, nextAttemptAt });
  }

  /** The format's gate: undefined = send now, a reason = hold back (a failed, retryable attempt). */
  private async gate(delivery: DeliveryRecord, event: DomainEvent): Promise<string | undefined> {
    const gate = this.gates[delivery.format];
    if (!gate) return undefined;
    try {
      return await gate(delivery, event);
    } catch (err) {
      return `held back: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  private async post(delivery: DeliveryRecord, body: string, abort: AbortController, event: DomainEvent): Promise<Outcome> {
    let timedOut = false;
    const timer = this.clock.setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, this.timeoutMs);
    try {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': this.userAgent,
        [EVENT_ID_HEADER]: delivery.eventId,
      };
      const secrets = await this.secrets(delivery.applicationId);
      // Signed with the timestamp of this attempt, so receivers can enforce freshness.
      const ts = String(Math.floor(this.clock.now() / 1000));
      headers[TIMESTAMP_HEADER] = ts;
      if (secrets.length > 0) headers[SIGNATURE_HEADER] = signatureHeader(secrets, ts, body);
      else if (!this.unsignedWarned.has(delivery.applicationId)) {
        this.unsignedWarned.add(delivery.applicationId);
        this.logger.warn({ applicationId: delivery.applicationId }, 'application has no webhook signing secret; sending unsigned webhooks');
      }
      Object.assign(headers, this.formatHeaders[delivery.format]?.(event, body));
      const res = await this.postFn(delivery.url, headers, body, abort.signal);
      return { status: res.status };
    } catch (err) {
      if (timedOut) return { error: `timeout after ${this.timeoutMs} ms` };
      if (abort.signal.aborted) return { aborted: true };
      return { error: describeFetchError(err) };
    } finally {
      timer.cancel();
    }
  }

  /** Queues a success for the next batched UPDATE; resolves once it is committed. */
  private markDelivered(id: string, status: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pendingMarks.push({ id, status, resolve, reject });
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      // setImmediate: every response that arrived in this turn of the event loop joins the batch.
      setImmediate(() => {
        this.flushScheduled = false;
        void this.flushMarks();
      });
    });
  }

  private async flushMarks(): Promise<void> {
    const batch = this.pendingMarks;
    if (batch.length === 0) return;
    this.pendingMarks = [];
    try {
      await this.outbox.markDeliveredMany(batch);
      for (const m of batch) m.resolve();
    } catch (err) {
      // Unmarked rows keep their lease and are sent again when it expires: at-least-once.
      for (const m of batch) m.reject(err);
    }
  }

  private emit<K extends keyof WebhookDeliveryEvents>(event: K, ...args: Parameters<WebhookDeliveryEvents[K]>): void {
    for (const l of this.listeners[event]) {
      try {
        (l as (...a: Parameters<WebhookDeliveryEvents[K]>) => void)(...args);
      } catch (err) {
        this.logger.error({ err, event }, 'webhook delivery listener threw');
      }
    }
  }
}

/** The socket error's code (ECONNREFUSED …) is what operators need; fetch() wraps it in `cause`. */
function describeFetchError(err: unknown): string {
  const own = (err as { code?: unknown })?.code;
  if (typeof own === 'string' && own !== 'ABORT_ERR') return own;
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

function toDomainEvent(e: DomainEvent & { seq?: number; createdAt?: number }): DomainEvent {
  const out: DomainEvent = { id: e.id, type: e.type, applicationId: e.applicationId, occurredAt: e.occurredAt, data: e.data };
  if (e.callId !== undefined) out.callId = e.callId;
  return out;
}
