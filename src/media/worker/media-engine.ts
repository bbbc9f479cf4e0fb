/**
 * The media engine on the main thread: starts the media workers (default one per core), puts
 * each new endpoint in the least-loaded worker (or next to another endpoint, for bridging),
 * leases its RTP port(s) from the configured range, and routes commands, operation results and
 * events between handles and workers.
 *
 * Close cascade (the order matters and is tested): engine.close() → every worker closes its
 * endpoints (sockets closed, operations cancelled) → every handle is marked closed ('closed'
 * emitted, commands reject) → workers exit → ports return to the pool. A worker that dies on
 * its own closes just its handles the same way; the engine keeps serving with the others.
 *
 * ```
 *  starting ──workers ready──▶ running ──close()──▶ closing ──▶ closed
 * ```
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { nullLogger, type Logger } from '../../lib/index.ts';
import { FrameRing, TICK_BUCKETS_MS, type EndpointOptions } from '../engine/index.ts';
import { ConferenceHandle } from './conference-handle.ts';
import { MediaClosedError, MediaEndpointHandle, type CrossWorkerLinks, type HandleTransport } from './media-endpoint-handle.ts';
import { PortAllocator } from './port-allocator.ts';
import { summarizeLoads, type MediaHealth } from './media-health.ts';
import type { CreatedEndpoint, EndpointCommand, MainToWorker, WorkerInit, WorkerLoad, WorkerToMain } from './protocol.ts';

export interface MediaEngineOptions {
  /** Worker threads. Default $SWITCHBOARD_MEDIA_WORKERS if set (for benchmarks), else os.availableParallelism(). */
  workers?: number;
  /** RTP port range, inclusive. */
  portMin: number;
  portMax: number;
  /** Address the RTP sockets bind to (e.g. '0.0.0.0' or '127.0.0.1'). */
  bindAddress: string;
  /** Default: no logging. */
  logger?: Logger;
  /** Directory for the URL prompt cache. Default none (URL prompts are not cached on disk). */
  cacheDir?: string;
  /**
   * Nice value of the media worker threads (not the main thread), so the 20 ms send pace wins the
   * CPU over SIP, HTTP and other processes on a busy machine. Default -10; lowering it below 0
   * needs root or CAP_SYS_NICE — without that the workers stay at the process's priority (logged
   * once). null leaves the priority alone.
   */
  threadNice?: number | null;
}

export interface CreateEndpointOptions extends EndpointOptions {
  /** Put the new endpoint in the same worker as this endpoint or conference (bridge/join without a cross-worker relay). Default: least-loaded worker. */
  near?: MediaEndpointHandle | ConferenceHandle;
}

export interface CreateConferenceOptions {
  /** Media rate of the mix; members must have it. Default 8000 (G.711). */
  rate?: number;
  /** Put it in the worker of this endpoint (which can then join without moving). Default: least-loaded worker. */
  near?: MediaEndpointHandle;
}

type EngineState = 'running' | 'closing' | 'closed';

/**
 * A cross-worker link as the main thread knows it: its two rings (the main thread can close them
 * itself, e.g. when a worker dies — both relays then tear down on their next tick) and its sides.
 */
interface Link {
  id: number;
  kind: 'bridge' | 'conference';
  rings: [FrameRing, FrameRing];
  /** Worker index of each half. */
  workers: [number, number];
  /** Endpoint ids involved (one for a conference link, two for a bridge). */
  eps: number[];
  conf?: ConferenceHandle;
}

/** See MediaEngineOptions.threadNice. */
const DEFAULT_THREAD_NICE = -10;

/** How many times createEndpoint tries the next port when one is taken by another process. */
const BIND_ATTEMPTS = 20;

class WorkerProxy {
  private nextReq = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly handles = new Map<number, MediaEndpointHandle>();
  readonly conferences = new Map<number, ConferenceHandle>();
  alive = true;

  constructor(readonly index: number, readonly worker: Worker, private readonly onGone: (p: WorkerProxy, err?: Error) => void) {
    worker.on('message', (m: WorkerToMain) => this.onMessage(m));
    worker.on('error', (err) => this.gone(err));
    worker.on('exit', () => this.gone());
  }

  request(build: (req: number) => MainToWorker, transfer?: ArrayBuffer[]): Promise<unknown> {
    if (!this.alive) return Promise.reject(new MediaClosedError());
    const req = this.nextReq++;
    return new Promise((resolve, reject) => {
      this.pending.set(req, { resolve, reject });
      this.worker.postMessage(build(req), transfer);
    });
  }

  /** A message that gets no reply. */
  notify(msg: MainToWorker): void {
    if (this.alive) this.worker.postMessage(msg);
  }

  private onMessage(m: WorkerToMain): void {
    switch (m.t) {
      case 'reply': {
        const p = this.pending.get(m.req);
        if (!p) return;
        this.pending.delete(m.req);
        if (m.ok) p.resolve(m.value);
        else p.reject(m.code === 'CLOSED' ? new MediaClosedError() : Object.assign(new Error(m.error), m.code ? { code: m.code } : {}));
        return;
      }
      case 'opDone':
        this.handles.get(m.ep)?.completeOp(m.op, m.result);
        return;
      case 'audio':
        this.handles.get(m.ep)?.deliverAudio(m.rate, m.frames);
        return;
      case 'event': {
        const h = this.handles.get(m.ep);
        if (!h) return;
        if (m.name === 'closed') {
          this.handles.delete(m.ep);
          h.markClosed(m.data.reason);
          this.onEndpointClosed(h);
        } else {
          (h.emit as (n: string, d: unknown) => boolean)(m.name, m.data);
        }
        return;
      }
      case 'ready':
        return;
    }
  }

  onEndpointClosed: (h: MediaEndpointHandle) => void = () => {};

  private gone(err?: Error): void {
    if (!this.alive) return;
    this.alive = false;
    for (const p of this.pending.values()) p.reject(new MediaClosedError());
    this.pending.clear();
    for (const h of this.handles.values()) {
      h.markClosed('worker exited');
      this.onEndpointClosed(h);
    }
    this.handles.clear();
    for (const c of this.conferences.values()) c.markClosed('worker exited');
    this.conferences.clear();
    this.onGone(this, err);
  }
}

/**
 * Cap on each media worker's young generation (V8 new space), MB. A worker allocates ~16 MB/s at
 * 500 calls (dgram's Buffer and rinfo per received packet), and V8 grows the new space towards
 * its 32 MB default maximum to match: two workers then hold ~60 MB of mostly garbage, about half
 * of the RSS per call at 1,000 calls. Capped, scavenges come more often but each costs the same
 * (they copy only live objects), and they run in the worker, not on the paced send path.
 * $SWITCHBOARD_MEDIA_YOUNG_GEN_MB sets it; 0 leaves V8's default.
 */
const YOUNG_GEN_MB = Math.max(0, Number(process.env.SWITCHBOARD_MEDIA_YOUNG_GEN_MB ?? 8) || 0);

export class MediaEngine {
  private state: EngineState = 'running';
  private readonly ports: PortAllocator;
  private nextEp = 1;
  private nextOp = 1;
  private nextConf = 1;
  private nextLink = 1;
  private readonly logger: Logger;
  /** Open cross-worker links by id, and the conference link of each relayed member endpoint. */
  private readonly links = new Map<number, Link>();
  private readonly memberLinks = new Map<number, Link>();

  private constructor(private readonly workers: WorkerProxy[], opts: MediaEngineOptions) {
    this.ports = new PortAllocator(opts.portMin, opts.portMax);
    this.logger = opts.logger ?? nullLogger;
    for (const w of workers) {
      w.onEndpointClosed = (h) => {
        this.ports.release(h.localPort);
        // Its relays see it go on their own; forget the links here.
        for (const l of this.links.values()) if (l.eps.includes(h.id)) this.forgetLink(l);
      };
    }
  }

  /** @internal A worker died: close (from here) the rings of every link it had a half of. */
  onWorkerGone(index: number): void {
    for (const l of [...this.links.values()]) if (l.workers.includes(index)) this.forgetLink(l);
  }

  private forgetLink(l: Link): void {
    l.rings[0].close();
    l.rings[1].close();
    this.links.delete(l.id);
    for (const ep of l.eps) if (this.memberLinks.get(ep) === l) this.memberLinks.delete(ep);
  }

  /** Close a link now in both workers (each half replies once it is gone). */
  private async closeLink(l: Link): Promise<void> {
    this.forgetLink(l);
    await Promise.all(l.workers.map((wi) => this.workers[wi]?.request((req) => ({ t: 'relayClose', req, link: l.id })).catch(() => undefined)));
  }

  private readonly crossLinks: CrossWorkerLinks = {
    bridge: async (a, b) => {
      const wa = this.workers[a.workerIndex];
      const wb = this.workers[b.workerIndex];
      if (!wa?.alive || !wb?.alive) throw new MediaClosedError();
      // Each endpoint has at most one bridge partner: its old cross-worker bridges end.
      await this.crossLinks.unbridge(a);
      await this.crossLinks.unbridge(b);
      // Rings start at rate 0: a's worker sets a's media rate as the link rate before b's opens.
      const ab = FrameRing.create();
      const ba = FrameRing.create();
      const l: Link = { id: this.nextLink++, kind: 'bridge', rings: [ab, ba], workers: [a.workerIndex, b.workerIndex], eps: [a.id, b.id] };
      this.links.set(l.id, l);
      try {
        await wa.request((req) => ({ t: 'relayOpen', req, link: l.id, rx: ba.sab, tx: ab.sab, ep: a.id }));
        await wb.request((req) => ({ t: 'relayOpen', req, link: l.id, rx: ab.sab, tx: ba.sab, ep: b.id }));
      } catch (err) {
        await this.closeLink(l);
        throw err;
      }
    },
    unbridge: async (ep) => {
      await Promise.all([...this.links.values()].filter((l) => l.kind === 'bridge' && l.eps.includes(ep.id)).map((l) => this.closeLink(l)));
    },
    join: async (ep, conf, opts) => {
      const cur = this.memberLinks.get(ep.id);
      if (cur && cur.conf === conf && !conf.closed) return this.crossLinks.update(ep, opts);
      if (cur) await this.closeLink(cur);
      const wc = this.workers[conf.workerIndex];
      const we = this.workers[ep.workerIndex];
      if (!wc?.alive || !we?.alive || conf.closed) throw Object.assign(new Error('conference is closed'), { code: 'CONFERENCE_CLOSED' });
      // The link runs at the conference rate: the member's relay resamples, the mix's does not.
      const toConf = FrameRing.create(conf.rate);
      const toEp = FrameRing.create(conf.rate);
      const l: Link = { id: this.nextLink++, kind: 'conference', rings: [toConf, toEp], workers: [conf.workerIndex, ep.workerIndex], eps: [ep.id], conf };
      this.links.set(l.id, l);
      this.memberLinks.set(ep.id, l);
      try {
        await wc.request((req) => ({ t: 'relayOpen', req, link: l.id, rx: toConf.sab, tx: toEp.sab, conf: conf.id, key: String(ep.id), opts }));
        await we.request((req) => ({ t: 'relayOpen', req, link: l.id, rx: toEp.sab, tx: toConf.sab, ep: ep.id, key: String(ep.id) }));
      } catch (err) {
        await this.closeLink(l);
        throw err;
      }
    },
    update: async (ep, opts) => {
      const l = this.memberLinks.get(ep.id);
      if (!l) throw new Error('endpoint is not in a conference');
      await this.workers[l.workers[0]]!.request((req) => ({ t: 'relayConference', req, link: l.id, opts }));
    },
    leave: async (ep) => {
      const l = this.memberLinks.get(ep.id);
      if (l) await this.closeLink(l);
    },
    remoteConference: (ep) => {
      const l = this.memberLinks.get(ep.id);
      if (!l) return undefined;
      if (!l.conf || l.conf.closed || l.rings[0].closed) {
        // The conference closed or the link tore itself down: forget it.
        this.forgetLink(l);
        return undefined;
      }
      return l.conf;
    },
  };

  /** Cross-worker links open now (bridges and conference memberships; for tests and metrics). */
  get linkCount(): number {
    return this.links.size;
  }

  static async start(opts: MediaEngineOptions): Promise<MediaEngine> {
    const n = Math.max(1, opts.workers ?? (Number(process.env.SWITCHBOARD_MEDIA_WORKERS) || availableParallelism()));
    const logger = opts.logger ?? nullLogger;
    const entry = new URL('./worker-entry.mjs', import.meta.url);
    const proxies: WorkerProxy[] = [];
    let engine: MediaEngine | undefined;
    await Promise.all(Array.from({ length: n }, (_, i) => new Promise<void>((resolve, reject) => {
      const worker = new Worker(entry, {
        workerData: {
          workerIndex: i, bindAddress: opts.bindAddress, ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
          ...(opts.threadNice !== null ? { threadNice: opts.threadNice ?? DEFAULT_THREAD_NICE } : {}),
        } satisfies WorkerInit,
        name: `media-${i}`,
        ...(YOUNG_GEN_MB > 0 ? { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GEN_MB } } : {}),
      });
      const p = new WorkerProxy(i, worker, (proxy, err) => {
        engine?.onWorkerGone(proxy.index);
        if (engine && engine.state === 'running') logger.error({ err, worker: proxy.index }, 'media worker exited');
      });
      proxies.push(p);
      const onReady = (m: WorkerToMain) => {
        if (m.t !== 'ready') return;
        worker.off('message', onReady);
        if (m.warning && i === 0) logger.warn({ worker: i }, m.warning);
        resolve();
      };
      worker.on('message', onReady);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`media worker ${i} exited with code ${code} while starting`)));
    }))).catch(async (err: unknown) => {
      await Promise.all(proxies.map((p) => p.worker.terminate()));
      throw err;
    });
    engine = new MediaEngine(proxies, opts);
    return engine;
  }

  get workerCount(): number {
    return this.workers.filter((w) => w.alive).length;
  }

  /** Endpoints open now, over all workers. */
  get endpointCount(): number {
    return this.workers.reduce((n, w) => n + w.handles.size, 0);
  }

  /** Ports leased now (one per endpoint). */
  get portsInUse(): number {
    return this.ports.inUse;
  }

  private transport(w: WorkerProxy): HandleTransport {
    return {
      command: (ep: number, cmd: EndpointCommand, transfer?: ArrayBuffer[]) => w.request((req) => ({ t: 'cmd', req, ep, cmd }), transfer),
      nextOpId: () => this.nextOp++,
      streamAck: (ep: number, batches: number) => w.notify({ t: 'streamAck', ep, batches }),
      links: this.crossLinks,
    };
  }

  /** Create an endpoint bound to a fresh port (pair) in the least-loaded worker, or `near` another one. */
  async createEndpoint(opts: CreateEndpointOptions): Promise<MediaEndpointHandle> {
    if (this.state !== 'running') throw new MediaClosedError();
    const { near, ...epOpts } = opts;
    let w: WorkerProxy | undefined;
    if (near) {
      w = this.workers[near.workerIndex];
      if (!w?.alive || near.closed) throw new MediaClosedError();
    } else {
      for (const x of this.workers) if (x.alive && (!w || x.handles.size < w.handles.size)) w = x;
    }
    if (!w) throw new Error('no media worker is running');
    let lastErr: Error | undefined;
    for (let attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
      const port = this.ports.lease();
      if (port === undefined) throw Object.assign(new Error('RTP port range exhausted'), { code: 'RTP_PORTS_EXHAUSTED' });
      const ep = this.nextEp++;
      try {
        const created = (await w.request((req) => ({ t: 'create', req, ep, port, opts: epOpts }))) as CreatedEndpoint;
        const h = new MediaEndpointHandle(ep, w.index, created.localPort, created.localRtcpPort, created.ssrc, this.transport(w));
        if (this.state !== 'running') {
          // close() ran while we were binding: do not leak the endpoint.
          await h.close();
          throw new MediaClosedError();
        }
        w.handles.set(ep, h);
        return h;
      } catch (err) {
        const e = err as Error & { code?: string };
        if (e.code !== 'EADDRINUSE' && e.code !== 'EACCES') {
          this.ports.release(port);
          throw err;
        }
        // Taken by someone else: keep it leased (so we do not retry it soon) and try the next.
        this.logger.warn({ port, err: e.message }, 'RTP port unavailable, trying the next');
        lastErr = e;
      }
    }
    throw lastErr ?? new Error('could not bind an RTP port');
  }

  /**
   * A conference mix (N-party, mix-minus) in one worker. Members join with
   * endpoint.joinConference(); those of other workers are relayed (create them with
   * { near: conference } to avoid the relay).
   */
  async createConference(opts: CreateConferenceOptions = {}): Promise<ConferenceHandle> {
    if (this.state !== 'running') throw new MediaClosedError();
    const rate = opts.rate ?? 8000;
    if (!(Number.isInteger(rate) && rate > 0 && rate % 50 === 0)) throw new RangeError('conference rate must be a positive multiple of 50 Hz');
    let w: WorkerProxy | undefined;
    if (opts.near) {
      w = this.workers[opts.near.workerIndex];
      if (!w?.alive || opts.near.closed) throw new MediaClosedError();
    } else {
      for (const x of this.workers) if (x.alive && (!w || x.handles.size + x.conferences.size < w.handles.size + w.conferences.size)) w = x;
    }
    if (!w) throw new Error('no media worker is running');
    const id = this.nextConf++;
    await w.request((req) => ({ t: 'createConference', req, conf: id, rate }));
    const proxy = w;
    const c = new ConferenceHandle(id, w.index, rate, async (conf) => {
      proxy.conferences.delete(conf);
      await proxy.request((req) => ({ t: 'closeConference', req, conf }));
    }, (build) => proxy.request(build));
    w.conferences.set(id, c);
    return c;
  }

  /** Per-worker load and ticker health (for metrics and benchmarks). */
  async load(): Promise<WorkerLoad[]> {
    return Promise.all(this.workers.filter((w) => w.alive).map((w) => w.request((req) => ({ t: 'load', req })) as Promise<WorkerLoad>));
  }

  /** Engine-wide ticker pacing, GC and packet totals, merged over the workers (for metrics and benchmarks). */
  async health(): Promise<MediaHealth> {
    return summarizeLoads(await this.load(), TICK_BUCKETS_MS);
  }

  /** Close every endpoint, then stop the workers. Idempotent. */
  async close(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'closing';
    await Promise.all(this.workers.map(async (w) => {
      if (!w.alive) return;
      try {
        await w.request((req) => ({ t: 'shutdown', req }));
      } catch {
        // Already gone.
      }
      // Endpoints that did not report 'closed' (worker stuck) are closed here.
      for (const h of w.handles.values()) {
        h.markClosed('engine closed');
        this.ports.release(h.localPort);
      }
      w.handles.clear();
      for (const c of w.conferences.values()) c.markClosed('engine closed');
      w.conferences.clear();
      await w.worker.terminate();
    }));
    this.state = 'closed';
  }
}
