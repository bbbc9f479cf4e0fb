/**
 * The body of one media worker thread: it owns RTP endpoints (their sockets) and the worker's
 * single Ticker, and executes the commands of protocol.ts. Each tick runs two phases over all
 * endpoints — inbound (jitter buffer → detectors/VAD) then, after the conferences took their
 * members' frames, outbound (player/stream-in/conference/bridge/echo → recorder, stream-out →
 * encode → send) — so bridged endpoints and conference members hear each other's frame of the
 * same tick.
 * It must never throw out of a message handler: every request gets exactly one reply.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AudioSource } from '../audio.ts';
import { ConferenceRoom, FallbackPlaylist, FrameRing, RelayEndpoint, RtpEndpoint, Ticker, loadPacer, type EndpointHost, type PlaySpec, type VadLike } from '../engine/index.ts';
import { WavRecorder } from '../record/index.ts';
import { GcSteer } from './gc-steer.ts';
import { applyThreadNice, startPacer } from './worker-scheduling.ts';
import { WorkerHealth } from './worker-health.ts';
import type { EndpointCommand, MainToWorker, WorkerInit, WorkerLoad, WorkerToMain } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('media-worker must run in a worker thread');
const init = workerData as WorkerInit;

const endpoints = new Map<number, RtpEndpoint>();
const conferences = new Map<number, ConferenceRoom>();
/** This worker's halves of cross-worker links, by link id (relay-endpoint.ts). */
const relays = new Map<number, RelayEndpoint>();
/** Counters of relays already closed (so WorkerLoad totals do not go backwards). */
const relayRetired = { framesIn: 0, underruns: 0, shed: 0, dropped: 0, latencySumMs: 0, latencyMaxMs: 0 };
function retireRelay(r: RelayEndpoint): void {
  relays.delete(r.link);
  r.close();
  addRelayStats(relayRetired, r);
}
/** Add one relay's counters to a running total. */
function addRelayStats(t: typeof relayRetired, r: RelayEndpoint): void {
  t.framesIn += r.stats.framesIn;
  t.underruns += r.stats.underruns;
  t.shed += r.stats.shed;
  t.dropped += r.stats.dropped;
  t.latencySumMs += r.stats.latencySumMs;
  t.latencyMaxMs = Math.max(t.latencyMaxMs, r.stats.latencyMaxMs);
}
let tickSumUs = 0;
let tickMaxUs = 0;
let tickCount = 0;

const health = new WorkerHealth();
/** Scavenges are started after a tick's work, not left to land in the next send burst (gc-steer.ts). */
const gcSteer = new GcSteer();

/**
 * Sub-ticks per 20 ms frame. Sending 500 packets back to back takes ~4 ms, and how long the
 * calls sent before yours took varies from frame to frame — send jitter that grows with the
 * number of calls. With PHASES > 1 each endpoint gets one of PHASES groups for life (round-robin
 * at first sight) and the ticker runs every 20/PHASES ms, so a group's packets leave at their own
 * fixed offset in the frame in a burst 1/PHASES as long. Default 1: on this project's 2-core
 * bench, 4 phases did not measurably lower p99 jitter at 1,000 calls and, with 4× the wake-ups
 * and precise sleeps, collapsed earlier when other processes took the CPU (docs/benchmarks.md).
 * $SWITCHBOARD_MEDIA_PHASES (1–10) sets it for experiments.
 */
const PHASES = Math.max(1, Math.min(10, Number(process.env.SWITCHBOARD_MEDIA_PHASES) || 1));

/**
 * The native pacer (engine/native-pacer.ts, docs/adr/0006-native-rtp-pacer.md): a prompt's next
 * packet is handed over one tick ahead and leaves at its due time from the pacer's thread.
 * Loaded when built; $SWITCHBOARD_MEDIA_PACER=0 switches it off (the JavaScript send path).
 */
const pacer = loadPacer();
/**
 * With the pacer, the calls' packets can leave spread over the first PACER_SPREAD_MS of each
 * frame (8 groups, round-robin at first sight) rather than all at the grid time: the send(2)s of
 * 500 calls on loopback take ~4 ms back to back, so later packets of a burst depend on how long
 * the earlier ones took. Default 0 (one burst at the grid time); $SWITCHBOARD_MEDIA_PACER_SPREAD_MS
 * (0–8) sets it. Kept below the ~10 ms after which the worker prepares the next frame, so a slot
 * is free again by then (else that frame is sent from the tick, as without the pacer).
 */
const PACER_SPREAD_MS = Math.max(0, Math.min(8, Number(process.env.SWITCHBOARD_MEDIA_PACER_SPREAD_MS) || 0));
const PACER_GROUPS = 8;
let nextPaceGroup = 0;

/** Errors thrown by one endpoint's tick work (counted; the other calls' ticks go on). */
let tickErrors = 0;

/** Send a new prompt's first frame at the command (RtpEndpoint.sendFirstFrameNow). Default on. */
const START_NOW = process.env.SWITCHBOARD_MEDIA_START_NOW !== '0';

/** Per-endpoint bookkeeping of the phased tick (WeakMap: nothing to clean up when an endpoint goes). */
interface Slot {
  group: number;
  /** Frame number in which the endpoint last pulled inbound / sent: exactly once per frame each. */
  pulled: number;
  sent: number;
  /** Offset of this endpoint's paced sends after the grid time, ms (PACER_SPREAD_MS). */
  paceOffset: number;
}
const slots = new WeakMap<RtpEndpoint, Slot>();
/**
 * Per group (phase): how many ms after its due time the group's last sub-tick actually ran
 * (0 before the first). sendFirstFrameNow measures "time since the last tick" from when it ran,
 * not from the grid: a ticker running behind the grid must not make a new prompt wait a frame.
 */
const tickLagByGroup = new Float64Array(10);
let nextGroup = 0;
function slotOf(ep: RtpEndpoint): Slot {
  let s = slots.get(ep);
  if (!s) {
    s = { group: nextGroup, pulled: -1, sent: -1, paceOffset: (nextPaceGroup * PACER_SPREAD_MS) / PACER_GROUPS };
    nextGroup = (nextGroup + 1) % PHASES;
    nextPaceGroup = (nextPaceGroup + 1) % PACER_GROUPS;
    slots.set(ep, s);
  }
  return s;
}

/** Endpoints sent/pulled in this sub-tick (reused arrays: no allocation per tick). */
const afterInbound: RtpEndpoint[] = [];
const pullNow: RtpEndpoint[] = [];
/** Endpoints that sent at the top of this sub-tick: they build their next packet at its end (prepareOutbound). */
const sentFirst: RtpEndpoint[] = [];

/**
 * One sub-tick (phase = index mod PHASES of frame = index div PHASES):
 * (1) this group's endpoints whose outbound needs nothing from this frame's inbound (a prompt,
 *     silence) produce and send first, so their send time is a steady offset in the frame;
 * (2) inbound (jitter buffer → detectors/VAD) for those endpoints — and, in phase 0, for every
 *     endpoint whose outbound needs it (bridge, echo, conference, recording, streaming), which
 *     all run in phase 0 so bridged peers and conference members see the same frame;
 * (3) phase 0 only: conferences take their members' frames, then (4) the inbound-dependent
 *     endpoints produce and send.
 * dgram resolves a send's destination on process.nextTick, so the packets of (1) leave when this
 * callback returns; (2)–(4) are queued behind them on the same FIFO queue. An endpoint that
 * changes kind mid-frame is still pulled and sent exactly once per frame (Slot).
 */
function onTick(due: number, index: number): void {
  const t0 = process.hrtime.bigint();
  const phase = index % PHASES;
  const frame = (index - phase) / PHASES;
  const frameDue = due - phase * (20 / PHASES);
  tickLagByGroup[phase] = Math.max(0, Number(t0) / 1e6 - due);
  afterInbound.length = 0;
  pullNow.length = 0;
  sentFirst.length = 0;
  for (const ep of endpoints.values()) {
    const s = slotOf(ep);
    const dependent = ep.outboundNeedsInbound;
    if (dependent ? phase === 0 : s.group === phase) {
      if (s.pulled !== frame) pullNow.push(ep);
      if (s.sent !== frame) {
        if (dependent) {
          afterInbound.push(ep);
        } else {
          s.sent = frame;
          try {
            ep.pushOutbound(frameDue);
          } catch {
            tickErrors++; // one endpoint's bug must not cost the other calls their frame
          }
          sentFirst.push(ep);
        }
      }
    }
  }
  process.nextTick(restOfTick, frameDue, frame, phase, t0, due);
}

function restOfTick(due: number, frame: number, phase: number, t0: bigint, subDue: number): void {
  const t1 = process.hrtime.bigint();
  for (const ep of pullNow) {
    if (ep.closed) continue;
    slotOf(ep).pulled = frame;
    try {
      ep.pullInbound(due);
    } catch {
      tickErrors++;
    }
  }
  try {
    // Relays (cross-worker links) run in phase 0 with the bridged/conference endpoints: their
    // far side's frame in before the conferences mix, our side's frame out before anyone sends.
    if (phase === 0) for (const r of relays.values()) if (!r.pullInbound()) retireRelay(r);
    if (phase === 0) for (const c of conferences.values()) c.pushInputs();
    if (phase === 0) for (const r of relays.values()) r.pushOutbound();
    health.inboundPhase.observe(Number(process.hrtime.bigint() - t1) / 1e6);
  } catch {
    tickErrors++; // relays and conferences: the endpoints' own work below still runs
  }
  for (const ep of afterInbound) {
    slotOf(ep).sent = frame;
    try {
      ep.pushOutbound(due);
    } catch {
      tickErrors++;
    }
  }
  try {
    if (phase === 0) for (const c of conferences.values()) c.endTick();
  } catch {
    tickErrors++;
  }
  // The next frame of each prompt is read and encoded now, off the send burst at the top of the
  // next tick (whose spread across the calls is the send jitter) — and with the pacer, handed to
  // it to leave at that tick's due time (+ the endpoint's spread offset) from the pacer's thread.
  const nextDue = subDue + 20;
  for (const ep of sentFirst) {
    try {
      ep.prepareOutbound(pacer ? nextDue + slotOf(ep).paceOffset : undefined);
    } catch {
      tickErrors++;
    }
  }
  afterInbound.length = 0;
  pullNow.length = 0;
  sentFirst.length = 0;
  const us = Number(process.hrtime.bigint() - t0) / 1000;
  tickSumUs += us;
  tickCount++;
  if (us > tickMaxUs) tickMaxUs = us;
  gcSteer.afterTick();
}

// A worker thread may block: Atomics.wait sleeps the last few ms before a tick with ~0.1 ms
// precision (a futex timeout) and no CPU, where a timer alone lands anywhere in a 1 ms window.
// Catch-up is 1/PHASES ms per sub-tick, so a group's 20 ms interval shrinks by at most 1 ms.
//
// Why wake 4 ms early (it was 2): a timer callback runs only between libuv's poll phases, and a
// poll phase that delivers the callers' packets of a tick (SIPp sends each 20 ms frame of all
// its calls in one burst: ~500 'message' callbacks per worker, ~2–3 ms) cannot be interrupted.
// When such a burst arrives just before our tick (its phase relative to our ticks is set by when
// the calls started and then stays put, a likely reason why runs of the same build differed), the
// tick starts late by what is left of the burst beyond the margin. With 4 ms the burst has finished by then; the price
// is that packets arriving in the last 4 ms wait in their socket buffers until after the tick
// (the jitter buffer holds 40 ms; nothing is lost). $SWITCHBOARD_MEDIA_WAKE_EARLY_MS (1–8)
// overrides it for experiments; with phases it stays 1 ms (sub-ticks are only 20/PHASES ms apart).
const WAKE_EARLY_MS = PHASES === 1 ? Math.max(1, Math.min(8, Number(process.env.SWITCHBOARD_MEDIA_WAKE_EARLY_MS) || 4)) : 1;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
const ticker = new Ticker({
  onTick, intervalMs: 20 / PHASES, catchUpMs: 1 / PHASES, wakeEarlyMs: WAKE_EARLY_MS, maxBehindMs: 60,
  preciseSleep: (ms) => { Atomics.wait(sleepCell, 0, 0, ms); },
});

function post(msg: WorkerToMain, transfer?: ArrayBuffer[]): void {
  port!.postMessage(msg, transfer);
}

function hostFor(id: number): EndpointHost {
  return {
    emit: (name, data) => post({ t: 'event', ep: id, name, data } as WorkerToMain),
    opDone: (op, result) => post({ t: 'opDone', ep: id, op, result }),
    wallNow: () => Date.now(),
    streamAudio: (frames) => {
      if (frames.length === 0) return;
      const rate = frames[0].length * 50;
      post({ t: 'audio', ep: id, rate, frames }, frames.map((f) => f.buffer as ArrayBuffer));
    },
  };
}

// ---- optional modules built by other parts of the media layer, loaded when present ----------

interface PlayersModule {
  openPlaylist(specs: PlaySpec[], rate: number, opts?: { loop?: number; cache?: unknown }): Promise<AudioSource>;
  PromptCache?: new (opts: { dir: string }) => unknown;
}
let players: Promise<{ mod: PlayersModule; cache?: unknown } | undefined> | undefined;
function loadPlayers(): Promise<{ mod: PlayersModule; cache?: unknown } | undefined> {
  players ??= import(new URL('../play/index.ts', import.meta.url).href).then(
    (m: Partial<PlayersModule>) => {
      if (typeof m.openPlaylist !== 'function') return undefined;
      const mod = m as PlayersModule;
      const cache = init.cacheDir && mod.PromptCache ? new mod.PromptCache({ dir: init.cacheDir }) : undefined;
      return { mod, cache };
    },
    () => undefined,
  );
  return players;
}

async function openSource(specs: PlaySpec[], rate: number, loop: number): Promise<AudioSource> {
  const p = await loadPlayers();
  if (p) return p.mod.openPlaylist(specs, rate, { loop, ...(p.cache ? { cache: p.cache } : {}) });
  return new FallbackPlaylist(specs, rate, loop);
}

interface VadModule {
  Vad?: { create(opts: { rate: 8000 | 16000 | 32000 | 48000 }): Promise<VadLike> };
}
async function createVad(rate: number): Promise<VadLike> {
  const m = (await import(new URL('../dsp/index.ts', import.meta.url).href)) as VadModule;
  if (!m.Vad) throw new Error('VAD is not available (src/media/dsp has no Vad yet)');
  if (rate !== 8000 && rate !== 16000 && rate !== 48000) throw new Error(`VAD does not support ${rate} Hz`);
  return m.Vad.create({ rate });
}

// ---- commands ---------------------------------------------------------------------------------

function load(): WorkerLoad {
  let packetsIn = health.retiredIn;
  let packetsOut = health.retiredOut;
  for (const ep of endpoints.values()) {
    const st = ep.getStats();
    packetsIn += st.packetsIn;
    packetsOut += st.packetsOut;
  }
  return {
    endpoints: endpoints.size,
    ticks: ticker.stats.ticks,
    skippedTicks: ticker.stats.skipped,
    maxLateMs: ticker.stats.maxLateMs,
    tickMeanUs: tickCount ? tickSumUs / tickCount : 0,
    tickMaxUs,
    slips: ticker.stats.slips,
    slippedMs: ticker.stats.slippedMs,
    ...ticker.histograms(),
    inboundPhase: health.inboundPhase.snapshot(),
    packetsIn,
    packetsOut,
    gcCount: health.gc.count,
    gcTotalMs: health.gc.totalMs,
    gcMaxMs: health.gc.maxMs,
    gcSteered: gcSteer.steered,
    tickErrors,
    ...(pacer ? { pacer: pacer.stats() } : {}),
    heapUsedBytes: health.heapUsedBytes(),
    ...relayLoad(),
  };
}

function relayLoad(): Pick<WorkerLoad, 'relays' | 'relayFramesIn' | 'relayUnderruns' | 'relayShed' | 'relayDropped' | 'relayLatencyMeanMs' | 'relayLatencyMaxMs'> {
  const t = { ...relayRetired };
  for (const r of relays.values()) {
    r.syncRingStats(); // shed/dropped live in the rings until the relay closes
    addRelayStats(t, r);
  }
  return {
    relays: relays.size, relayFramesIn: t.framesIn, relayUnderruns: t.underruns, relayShed: t.shed, relayDropped: t.dropped,
    relayLatencyMeanMs: t.framesIn ? t.latencySumMs / t.framesIn : 0, relayLatencyMaxMs: t.latencyMaxMs,
  };
}

async function command(id: number, ep: RtpEndpoint, cmd: EndpointCommand): Promise<unknown> {
  switch (cmd.c) {
    case 'update':
      ep.update(cmd.update);
      return undefined;
    case 'play': {
      const source = await openSource(cmd.specs, ep.mediaRate, cmd.opts.loop ?? 1);
      if (ep.closed) {
        source.close();
        throw new Error('endpoint closed');
      }
      const b = cmd.opts.bargeIn;
      if ((b === 'speech' || b === 'any') && !ep.hasVad) {
        // Speech barge-in needs a VAD: start one for this endpoint (it keeps running, emitting 'speech').
        try {
          ep.ensureVad(await createVad(ep.mediaRate));
        } catch (err) {
          source.close();
          throw err;
        }
      }
      ep.startPlay(cmd.op, source, b);
      // Its first frame leaves now rather than on the next tick (up to 20 ms away), when that keeps
      // RTP timing valid. $SWITCHBOARD_MEDIA_START_NOW=0 turns it off (for comparisons).
      // The lag is that of the endpoint's own group's last sub-tick (a plain prompt's group).
      if (START_NOW) ep.sendFirstFrameNow(Number(process.hrtime.bigint()) / 1e6, 2, tickLagByGroup[slotOf(ep).group]);
      return undefined;
    }
    case 'cancel':
      return ep.cancel(cmd.op);
    case 'stopAll':
      ep.stopAll();
      return undefined;
    case 'sendDtmf':
      ep.sendDtmf(cmd.digits, cmd.durationMs, () => post({ t: 'opDone', ep: id, op: cmd.op, result: { reason: 'finished' } }));
      return undefined;
    case 'injectDtmf':
      ep.injectDtmf(cmd.digit, cmd.durationMs);
      return undefined;
    case 'detect': {
      const vad = cmd.opts.vad ? await createVad(ep.mediaRate) : undefined;
      if (ep.closed) {
        vad?.close();
        throw new Error('endpoint closed');
      }
      ep.detect(cmd.opts, vad);
      return undefined;
    }
    case 'record': {
      const channels = cmd.opts.channels ?? 1;
      const rec = WavRecorder.open(cmd.path, {
        rate: ep.mediaRate, channels,
        ...(cmd.opts.maxDurationMs ? { maxDurationMs: cmd.opts.maxDurationMs } : {}),
        ...(cmd.opts.maxBytes ? { maxBytes: cmd.opts.maxBytes } : {}),
      });
      ep.startRecord(cmd.op, rec, channels);
      return undefined;
    }
    case 'pauseRecord':
      return ep.setRecordPaused(cmd.op, cmd.paused);
    case 'connect': {
      const other = endpoints.get(cmd.peer);
      if (!other) throw Object.assign(new Error('the other endpoint is not in this worker'), { code: 'CROSS_WORKER' });
      if (other === ep) throw new Error('an endpoint cannot be connected to itself');
      // Each endpoint has at most one bridge partner: break the old pairs first.
      if (ep.peer) ep.peer.peer = undefined;
      if (other.peer) other.peer.peer = undefined;
      ep.peer = other;
      other.peer = ep;
      return undefined;
    }
    case 'disconnect':
      if (ep.peer) ep.peer.peer = undefined;
      ep.peer = undefined;
      return undefined;
    case 'echo':
      ep.setEcho(cmd.on);
      return undefined;
    case 'stats':
      return ep.getStats();
    case 'startStream':
      ep.startStream(cmd.opts);
      return undefined;
    case 'stopStream':
      ep.stopStream();
      return undefined;
    case 'streamIn':
      ep.streamInAudio(cmd.pcm, cmd.rate);
      return undefined;
    case 'markStream':
      ep.markStream(cmd.name);
      return undefined;
    case 'clearStream':
      ep.clearStream();
      return undefined;
    case 'joinConference': {
      const room = conferences.get(cmd.conf);
      if (!room) throw Object.assign(new Error('the conference is not in this worker (closed, or create the endpoint with { near: conference })'), { code: 'CROSS_WORKER' });
      if (cmd.opts.whisperTo !== undefined && cmd.opts.whisperTo === id) throw new Error('an endpoint cannot whisper to itself');
      room.join(ep, String(id), cmd.opts);
      return undefined;
    }
    case 'updateConference':
      if (!ep.conference) throw new Error('endpoint is not in a conference');
      ep.conference.room.set(ep, cmd.opts);
      return undefined;
    case 'leaveConference':
      ep.conference?.room.leave(ep);
      return undefined;
    case 'close':
      endpoints.delete(id);
      health.retire(ep.getStats());
      await ep.close('closed');
      return undefined;
  }
}

async function handle(msg: MainToWorker): Promise<void> {
  try {
    switch (msg.t) {
      case 'create': {
        const ep = await RtpEndpoint.open(msg.port, init.bindAddress, msg.opts, hostFor(msg.ep), Number(process.hrtime.bigint()) / 1e6);
        endpoints.set(msg.ep, ep);
        if (!ticker.isRunning) ticker.start();
        post({ t: 'reply', req: msg.req, ok: true, value: { localPort: ep.localPort, localRtcpPort: ep.localRtcpPort, ssrc: ep.ssrc } });
        return;
      }
      case 'cmd': {
        const ep = endpoints.get(msg.ep);
        if (!ep) {
          post({ t: 'reply', req: msg.req, ok: false, error: 'endpoint closed', code: 'CLOSED' });
          return;
        }
        const value = await command(msg.ep, ep, msg.cmd);
        post({ t: 'reply', req: msg.req, ok: true, ...(value !== undefined ? { value: value as never } : {}) });
        return;
      }
      case 'load':
        post({ t: 'reply', req: msg.req, ok: true, value: load() });
        return;
      case 'createConference':
        conferences.set(msg.conf, new ConferenceRoom(msg.conf, msg.rate));
        post({ t: 'reply', req: msg.req, ok: true });
        return;
      case 'playConference': {
        const room = conferences.get(msg.conf);
        if (!room) throw Object.assign(new Error('conference closed'), { code: 'CLOSED' });
        const source = await openSource(msg.specs, room.rate, msg.opts.loop ?? 1);
        if (room.closed) {
          source.close();
          throw Object.assign(new Error('conference closed'), { code: 'CLOSED' });
        }
        // Replied when the prompt ends (conference-room.ts completes it once).
        room.play(msg.op, source, (result) => post({ t: 'reply', req: msg.req, ok: true, value: result }));
        return;
      }
      case 'cancelConferencePlay':
        post({ t: 'reply', req: msg.req, ok: true, value: conferences.get(msg.conf)?.cancelPlay(msg.op) ?? false });
        return;
      case 'closeConference':
        conferences.get(msg.conf)?.close();
        conferences.delete(msg.conf);
        post({ t: 'reply', req: msg.req, ok: true });
        return;
      case 'relayOpen': {
        const rx = new FrameRing(msg.rx);
        const tx = new FrameRing(msg.tx);
        if (rx.closed || tx.closed) throw Object.assign(new Error('link closed'), { code: 'CLOSED' });
        const old = relays.get(msg.link);
        if (old) retireRelay(old);
        if (msg.conf !== undefined) {
          const room = conferences.get(msg.conf);
          if (!room) throw Object.assign(new Error('conference closed'), { code: 'CONFERENCE_CLOSED' });
          if (msg.opts?.whisperTo !== undefined && String(msg.opts.whisperTo) === msg.key) throw new Error('an endpoint cannot whisper to itself');
          const r = new RelayEndpoint(msg.link, rx, tx, room.rate);
          room.join(r, msg.key ?? `relay:${msg.link}`, msg.opts ?? {});
          r.markAttached();
          relays.set(msg.link, r);
        } else {
          const ep = msg.ep === undefined ? undefined : endpoints.get(msg.ep);
          if (!ep || ep.closed) throw Object.assign(new Error('endpoint closed'), { code: 'CLOSED' });
          if (tx.rate === 0) {
            tx.rate = ep.mediaRate;
            rx.rate = ep.mediaRate;
          }
          // A remote conference membership replaces a local one ("joining another conference leaves this one").
          if (rx.rate !== 0 && msg.key !== undefined) ep.conference?.room.leave(ep);
          const r = new RelayEndpoint(msg.link, rx, tx);
          r.attachPeer(ep);
          relays.set(msg.link, r);
        }
        if (!ticker.isRunning) ticker.start();
        post({ t: 'reply', req: msg.req, ok: true });
        return;
      }
      case 'relayConference': {
        const r = relays.get(msg.link);
        if (!r?.conference) throw new Error('endpoint is not in a conference');
        r.conference.room.set(r, msg.opts);
        post({ t: 'reply', req: msg.req, ok: true });
        return;
      }
      case 'relayClose': {
        const r = relays.get(msg.link);
        if (r) retireRelay(r);
        post({ t: 'reply', req: msg.req, ok: true });
        return;
      }
      case 'streamAck': {
        endpoints.get(msg.ep)?.streamAck(msg.batches);
        return;
      }
      case 'shutdown': {
        ticker.stop();
        health.close();
        for (const r of [...relays.values()]) retireRelay(r);
        for (const c of conferences.values()) c.close();
        conferences.clear();
        const all = [...endpoints.values()];
        endpoints.clear();
        await Promise.all(all.map((ep) => ep.close('engine closed')));
        post({ t: 'reply', req: msg.req, ok: true });
        port!.close();
        return;
      }
    }
  } catch (err) {
    const e = err as Error & { code?: string };
    if ('req' in msg) post({ t: 'reply', req: msg.req, ok: false, error: e.message, ...(e.code ? { code: e.code } : {}) });
  }
}

// Diagnostics for benchmarks: SWITCHBOARD_MEDIA_HEALTH_LOG_MS=5000 prints this worker's load (histograms
// included) as one JSON line on stderr every 5 s. Default off.
const healthLogMs = Number(process.env.SWITCHBOARD_MEDIA_HEALTH_LOG_MS ?? 0);
if (healthLogMs > 0) {
  setInterval(() => process.stderr.write(`media-health ${JSON.stringify({ worker: init.workerIndex, ...load() })}\n`), healthLogMs).unref();
}

const warning = [applyThreadNice(init.threadNice), startPacer(pacer)].filter(Boolean).join('; ') || undefined;
// Load the players module now, not on the first play: its import took ~25 ms, which the first
// prompt of each worker waited for (part of the play → first RTP tail, docs/benchmarks.md).
void loadPlayers();
port.on('message', (msg: MainToWorker) => void handle(msg));
post({ t: 'ready', ...(warning ? { warning } : {}) });
