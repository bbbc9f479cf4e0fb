// Tells core when an application's webhooks are failing, so it can apply the application's
// fallback (play an apology, transfer to a fallback number, hang up — core decides; this file
// only observes). It counts consecutive failed attempts per application across all of its
// deliveries: any 2xx resets the count, a retryable failure or a dead letter adds one.
//
//   healthy ──(threshold consecutive failures)──► failing ──(one 2xx)──► healthy
//      emits nothing                                emits 'failing' once   emits 'recovered'
//
// It never changes delivery (retries go on as the retry policy says) and keeps memory only for
// applications that failed recently (a healthy one holds no entry).
import type { WebhookDeliveryEngine, AttemptInfo } from './webhook-delivery-engine.ts';

export interface WebhookHealthOptions {
  /** Consecutive failed attempts that make an application 'failing'; default 3. */
  threshold?: number;
}

export interface WebhookFailureInfo {
  applicationId: string;
  /** Failed attempts in a row so far. */
  consecutiveFailures: number;
  /** The last failure ('HTTP 503', 'ECONNREFUSED', 'timeout after 5000 ms' …). */
  lastError: string;
  /** The last HTTP status, when a response came. */
  lastStatus?: number;
  /** The URL that failed last. */
  url: string;
}

/** Typed event map of WebhookHealth. */
export interface WebhookHealthEvents {
  /** Crossed the threshold (once per episode). */
  failing: (info: WebhookFailureInfo) => void;
  /** A delivery succeeded again after 'failing'. */
  recovered: (info: { applicationId: string }) => void;
}

export class WebhookHealth {
  private readonly threshold: number;
  private readonly failures = new Map<string, WebhookFailureInfo & { failing: boolean }>();
  private readonly listeners: { [K in keyof WebhookHealthEvents]: Set<WebhookHealthEvents[K]> } = {
    failing: new Set(), recovered: new Set(),
  };
  private readonly detach: (() => void)[];

  constructor(engine: WebhookDeliveryEngine, opts: WebhookHealthOptions = {}) {
    this.threshold = Math.max(1, opts.threshold ?? 3);
    this.detach = [
      engine.on('delivered', (i) => this.success(i.delivery.applicationId)),
      engine.on('retry', (i) => this.failure(i)),
      engine.on('dead', (i) => this.failure(i)),
    ];
  }

  on<K extends keyof WebhookHealthEvents>(event: K, listener: WebhookHealthEvents[K]): () => void {
    (this.listeners[event] as Set<WebhookHealthEvents[K]>).add(listener);
    return () => (this.listeners[event] as Set<WebhookHealthEvents[K]>).delete(listener);
  }

  /** True while the application is 'failing' (threshold reached, no success since). */
  isFailing(applicationId: string): boolean {
    return this.failures.get(applicationId)?.failing ?? false;
  }

  /** The application's failure streak, or undefined when its last attempt succeeded. */
  status(applicationId: string): WebhookFailureInfo | undefined {
    const f = this.failures.get(applicationId);
    if (!f) return undefined;
    const { failing: _failing, ...info } = f;
    return info;
  }

  /** Stops observing the engine. */
  close(): void {
    for (const d of this.detach.splice(0)) d();
  }

  private success(applicationId: string): void {
    const f = this.failures.get(applicationId);
    if (!f) return;
    this.failures.delete(applicationId);
    if (f.failing) this.emit('recovered', { applicationId });
  }

  private failure(i: AttemptInfo): void {
    const applicationId = i.delivery.applicationId;
    const prev = this.failures.get(applicationId);
    const next: WebhookFailureInfo & { failing: boolean } = {
      applicationId,
      consecutiveFailures: (prev?.consecutiveFailures ?? 0) + 1,
      lastError: i.error ?? (i.status !== undefined ? `HTTP ${i.status}` : 'failed'),
      url: i.delivery.url,
      failing: prev?.failing ?? false,
    };
    if (i.status !== undefined) next.lastStatus = i.status;
    this.failures.set(applicationId, next);
    if (!next.failing && next.consecutiveFailures >= this.threshold) {
      next.failing = true;
      const { failing: _failing, ...info } = next;
      this.emit('failing', info);
    }
  }

  private emit<K extends keyof WebhookHealthEvents>(event: K, ...args: Parameters<WebhookHealthEvents[K]>): void {
    for (const l of this.listeners[event]) {
      try {
        (l as (...a: Parameters<WebhookHealthEvents[K]>) => void)(...args);
      } catch {
        // A listener's failure must not disturb delivery bookkeeping.
      }
    }
  }
}
