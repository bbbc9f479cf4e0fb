// Prometheus metrics for one node. Counters are bumped by the SIP service through the
// functions below; gauges are read at scrape time from provider callbacks the services
// register, so nothing polls and a scrape always sees current numbers. Label values are
// bounded (unknown methods → OTHER, uncommon status codes → their class) so a hostile peer
// cannot blow up the series count.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { VERSION } from './version.ts';

/** Methods we label by name (RFC 3261 plus common extensions); anything else is OTHER. */
const KNOWN_METHODS = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY',
  'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE',
]);

/** Status codes common enough to deserve their own series; the rest are counted as 1xx…6xx. */
const KNOWN_STATUSES = new Set([
  100, 180, 181, 182, 183, 200, 202, 301, 302, 400, 401, 403, 404, 405, 407, 408, 410, 415, 420,
  422, 423, 480, 481, 482, 483, 484, 486, 487, 488, 491, 500, 501, 502, 503, 504, 505, 513, 600, 603, 604, 606,
]);

const KNOWN_PROTOCOLS = new Set(['udp', 'tcp', 'tls', 'ws', 'wss']);

/** Transaction kinds (RFC 3261 §17): INVITE/non-INVITE × client/server. */
export type TransactionKind = 'ict' | 'nict' | 'ist' | 'nist';

/** Gauges read from providers at scrape time, and what each provider returns. */
export interface GaugeProviders {
  /** Live transactions by kind. */
  sip_transactions: () => Partial<Record<TransactionKind, number>>;
  /** Confirmed and early dialogs. */
  sip_dialogs: () => number;
  /** Active registrar bindings. */
  sip_registrations: () => number;
  /** Calls in progress on this node. */
  active_calls: () => number;
  /** Source addresses banned by flood protection right now. */
  sip_banned_sources: () => number;
}
export type GaugeName = keyof GaugeProviders;

export type Direction = 'in' | 'out';

/** How one webhook attempt ended: delivered (2xx), retry (will be tried again), dead (given up). */
export type WebhookOutcome = 'delivered' | 'retry' | 'dead';

export interface SwitchboardMetrics {
  /** The registry served at /metrics. */
  readonly registry: Registry;
  /**
   * Count one SIP message. For a request pass its method; for a response its status code
   * and, when known, the CSeq method it answers.
   */
  sipMessage(direction: Direction, methodOrStatus: string | number, cseqMethod?: string): void;
  /** Count one message that failed to parse on `protocol` (udp, tcp, tls, ws, wss). */
  sipParseError(protocol: string): void;
  /** Count one ban issued by flood protection. */
  sipBan(): void;
  /** Count one DTMF digit detected by the media engine, by source (rfc4733, inband, info). */
  mediaDtmf(source: string): void;
  /** Count audio frames (20 ms) a media stream's WebSocket consumer was too slow for (shed, oldest first). */
  mediaStreamDropped(frames: number): void;
  /**
   * Count one webhook attempt by outcome, with how long its request took and (delivered only)
   * how long the event waited since it was enqueued — the latency an application sees.
   */
  webhookAttempt(outcome: WebhookOutcome, requestMs: number, enqueuedToDeliveredMs?: number): void;
  /** Set (or clear) the callback read at scrape time for webhook_queue_depth (pending deliveries); may be async. */
  setWebhookQueueDepthProvider(fn: (() => number | Promise<number>) | undefined): void;
  /** Set (or with undefined, clear) the callback a gauge reads at scrape time. */
  setProvider<K extends GaugeName>(name: K, fn: GaugeProviders[K] | undefined): void;
  /** Set (or clear) where the media_* engine counters come from; read (async) at scrape time. */
  setMediaProvider(fn: (() => Promise<MediaCounters>) | undefined): void;
}

/** Engine-wide media counters since start (MediaEngine.health() gives a superset). */
export interface MediaCounters {
  packetsIn: number;
  packetsOut: number;
  /** Ticks that started more than 2 ms after they were scheduled. */
  lateTicks: number;
  /** Ticker grid re-anchors after stalls longer than 3 ticks. */
  slips: number;
  endpoints: number;
  /** The native RTP pacer's packets (absent when it is not loaded). */
  pacer?: { sent: number; errors: number; cancelled: number; priority: string; lateHist: number[] };
}

export function methodLabel(method: string | undefined): string {
  if (!method) return '';
  const m = method.toUpperCase();
  return KNOWN_METHODS.has(m) ? m : 'OTHER';
}

export function statusLabel(status: number): string {
  if (KNOWN_STATUSES.has(status)) return String(status);
  return status >= 100 && status <= 699 ? `${Math.floor(status / 100)}xx` : 'invalid';
}

export function protocolLabel(protocol: string): string {
  const p = protocol.toLowerCase();
  return KNOWN_PROTOCOLS.has(p) ? p : 'other';
}

export interface CreateMetricsOptions {
  /** Also collect Node's process metrics (CPU, memory, event loop lag, GC); default true. */
  defaultMetrics?: boolean;
}

export function createMetrics(opts: CreateMetricsOptions = {}): SwitchboardMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const providers: { [K in GaugeName]?: GaugeProviders[K] } = {};

  new Gauge({ name: 'switchboard_info', help: 'Switchboard build information (always 1).', labelNames: ['version'], registers: [registry] })
    .set({ version: VERSION }, 1);

  const messages = new Counter({
    name: 'sip_messages_total',
    help: 'SIP messages sent and received; method for requests (or the CSeq method of a response), status for responses.',
    labelNames: ['direction', 'method', 'status'] as const,
    registers: [registry],
  });
  const parseErrors = new Counter({
    name: 'sip_parse_errors_total',
    help: 'SIP messages that could not be parsed, by transport protocol.',
    labelNames: ['protocol'] as const,
    registers: [registry],
  });
  const dtmfDigits = new Counter({
    name: 'media_dtmf_digits_total',
    help: 'DTMF digits detected by the media engine, by source (rfc4733, inband, info).',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  const streamDropped = new Counter({
    name: 'media_stream_frames_dropped_total',
    help: 'Audio frames (20 ms) shed because a media streaming WebSocket consumer was too slow.',
    registers: [registry],
  });
  const bans = new Counter({ name: 'sip_bans_total', help: 'Source addresses banned by SIP flood protection.', registers: [registry] });

  new Gauge({
    name: 'sip_transactions',
    help: 'Live SIP transactions by kind (ict, nict, ist, nist).',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      const counts = read('sip_transactions');
      this.reset();
      for (const kind of ['ict', 'nict', 'ist', 'nist'] as const) this.set({ kind }, counts?.[kind] ?? 0);
    },
  });
  const scalar = (name: Exclude<GaugeName, 'sip_transactions'>, help: string) =>
    new Gauge({
      name, help, registers: [registry],
      collect() { this.set(read(name) ?? 0); },
    });
  scalar('sip_dialogs', 'Live SIP dialogs (early and confirmed).');
  scalar('sip_registrations', 'Active SIP registrar bindings.');
  scalar('active_calls', 'Calls in progress on this node.');
  scalar('sip_banned_sources', 'Source addresses currently banned by SIP flood protection.');

  const webhookAttempts = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (delivered, retry, dead).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const webhookRequest = new Histogram({
    name: 'webhook_request_duration_seconds',
    help: 'Duration of webhook POSTs (request sent to response read), by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const webhookLatency = new Histogram({
    name: 'webhook_delivery_latency_seconds',
    help: 'Time from an event entering the outbox to its webhook being delivered (retries included).',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
    registers: [registry],
  });
  let queueDepth: (() => number | Promise<number>) | undefined;
  new Gauge({
    name: 'webhook_queue_depth',
    help: 'Webhook deliveries pending (not yet delivered or dead), from the outbox.',
    registers: [registry],
    async collect() {
      try {
        this.set(queueDepth ? await queueDepth() : 0);
      } catch {
        this.set(0);
      }
    },
  });

  // Media counters live in the worker threads; one async read per scrape feeds all of them.
  let mediaProvider: (() => Promise<MediaCounters>) | undefined;
  let mediaRead: Promise<MediaCounters | undefined> | undefined;
  const readMedia = (): Promise<MediaCounters | undefined> => {
    mediaRead ??= (mediaProvider ? mediaProvider().catch(() => undefined) : Promise.resolve(undefined))
      .finally(() => { setImmediate(() => { mediaRead = undefined; }); });
    return mediaRead;
  };
  new Counter({
    name: 'media_rtp_packets_total',
    help: 'RTP packets received (accepted after latching) and sent by the media engine, by direction (in, out).',
    labelNames: ['direction'] as const,
    registers: [registry],
    async collect() {
      const m = await readMedia();
      this.reset();
      this.inc({ direction: 'in' }, m?.packetsIn ?? 0);
      this.inc({ direction: 'out' }, m?.packetsOut ?? 0);
    },
  });
  new Counter({
    name: 'media_tick_late_total',
    help: 'Media worker ticks (20 ms) that started more than 2 ms after they were scheduled.',
    registers: [registry],
    async collect() {
      const m = await readMedia();
      this.reset();
      this.inc(m?.lateTicks ?? 0);
    },
  });
  new Counter({
    name: 'media_tick_slips_total',
    help: 'Times a media worker re-anchored its 20 ms clock after a stall longer than three ticks.',
    registers: [registry],
    async collect() {
      const m = await readMedia();
      this.reset();
      this.inc(m?.slips ?? 0);
    },
  });
  new Counter({
    name: 'media_rtp_paced_total',
    help: 'RTP packets handed to the native pacer, by what became of them: sent at their due time, refused by send(2), or taken back before it (absent without the pacer).',
    labelNames: ['result'],
    registers: [registry],
    async collect() {
      const p = (await readMedia())?.pacer;
      this.reset();
      if (!p) return;
      this.inc({ result: 'sent' }, p.sent);
      this.inc({ result: 'error' }, p.errors);
      this.inc({ result: 'cancelled' }, p.cancelled);
    },
  });
  new Gauge({
    name: 'media_rtp_pacer_realtime',
    help: 'The native RTP pacer thread runs at real-time priority (SCHED_FIFO): 1, else 0 (it then competes with the media workers and send jitter rises under load); absent without the pacer.',
    registers: [registry],
    async collect() {
      const p = (await readMedia())?.pacer;
      this.reset();
      if (p) this.set(p.priority.startsWith('SCHED_FIFO') ? 1 : 0);
    },
  });
  new Counter({
    name: 'media_rtp_pacer_late_total',
    help: 'Packets the native RTP pacer sent, by how late behind their due time (upper bound "le" in seconds, cumulative like a histogram): mostly a packet\'s place in its burst.',
    labelNames: ['le'],
    registers: [registry],
    async collect() {
      const p = (await readMedia())?.pacer;
      this.reset();
      if (!p) return;
      let n = 0;
      const bounds = ['0.00005', '0.0001', '0.00025', '0.0005', '0.001', '0.002', '0.005', '+Inf'];
      p.lateHist.forEach((c, i) => {
        n += c;
        if (bounds[i]) this.inc({ le: bounds[i] }, n);
      });
    },
  });
  new Gauge({
    name: 'media_endpoints',
    help: 'Media endpoints (RTP legs) open in the media workers.',
    registers: [registry],
    async collect() {
      this.set((await readMedia())?.endpoints ?? 0);
    },
  });

  /** A failing provider must not break the scrape: it reads as 0 until it recovers. */
  function read<K extends GaugeName>(name: K): ReturnType<GaugeProviders[K]> | undefined {
    const fn = providers[name];
    if (!fn) return undefined;
    try {
      return fn() as ReturnType<GaugeProviders[K]>;
    } catch {
      return undefined;
    }
  }

  return {
    registry,
    sipMessage(direction, methodOrStatus, cseqMethod) {
      if (typeof methodOrStatus === 'number') {
        messages.inc({ direction, method: methodLabel(cseqMethod), status: statusLabel(methodOrStatus) });
      } else {
        messages.inc({ direction, method: methodLabel(methodOrStatus), status: '' });
      }
    },
    sipParseError(protocol) {
      parseErrors.inc({ protocol: protocolLabel(protocol) });
    },
    sipBan() {
      bans.inc();
    },
    mediaDtmf(source) {
      dtmfDigits.inc({ source: source === 'rfc4733' || source === 'inband' || source === 'info' ? source : 'other' });
    },
    mediaStreamDropped(frames) {
      if (frames > 0) streamDropped.inc(frames);
    },
    webhookAttempt(outcome, requestMs, enqueuedToDeliveredMs) {
      webhookAttempts.inc({ outcome });
      webhookRequest.observe({ outcome }, Math.max(0, requestMs) / 1000);
      if (outcome === 'delivered' && enqueuedToDeliveredMs !== undefined) webhookLatency.observe(Math.max(0, enqueuedToDeliveredMs) / 1000);
    },
    setWebhookQueueDepthProvider(fn) {
      queueDepth = fn;
    },
    setMediaProvider(fn) {
      mediaProvider = fn;
    },
    setProvider(name, fn) {
      if (fn) (providers as Record<string, unknown>)[name] = fn;
      else delete providers[name];
    },
  };
}
