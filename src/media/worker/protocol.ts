/**
 * The message protocol between the MediaEngine (main thread) and its media workers. Every
 * message is a plain structured-clonable object; audio crosses only inside 'pcm' play specs,
 * 'streamIn' commands and 'audio' messages (typed arrays; stream audio is transferred, not
 * copied). Stream-out is flow-controlled: the worker posts at most 10 unacknowledged 'audio'
 * batches, the main thread answers each with 'streamAck', and audio a slow main thread does not
 * take is shed (oldest first) inside the worker. Requests carry a `req` number that the worker answers exactly once with
 * a 'reply'; long-running commands (play, record, sendDtmf) are operations with an `op` id
 * that the worker completes later with 'opDone'; endpoint events arrive as 'event'.
 *
 * ```
 *  main ──{t:'create', req, ep, port, opts}──▶ worker ──{t:'reply', req, ok, value|error}──▶ main
 *  main ──{t:'cmd', req, ep, cmd}───────────▶ worker ──{t:'reply', …}
 *                                             worker ──{t:'opDone', ep, op, result}
 *                                             worker ──{t:'event', ep, name, data}
 *                                             worker ──{t:'audio', ep, rate, frames} ──▶ main ──{t:'streamAck', ep, batches}
 *  main ──{t:'createConference', req, conf, rate} / {t:'closeConference', req, conf}
 *  main ──{t:'playConference', req, conf, op, specs, opts}──▶ worker ──{t:'reply', value: result} when it ends
 *  main ──{t:'shutdown', req}───────────────▶ worker closes every endpoint, replies, exits
 * ```
 */
import type { PacerStats } from '../engine/native-pacer.ts';
import type {
  ConferenceJoinOptions, DetectOptions, EndpointOptions, EndpointStats, EndpointUpdate, OperationResult, PlayOptions, PlaySpec, RecordOptions, StreamOptions,
} from '../engine/index.ts';
import type { EndpointEventMap, EndpointEventName, TickHistogramSnapshot } from '../engine/index.ts';

export interface WorkerInit {
  workerIndex: number;
  bindAddress: string;
  /** Directory of the prompt cache (URL prompts), if any. */
  cacheDir?: string;
  /** Nice value the worker gives its own thread (Linux), if any. */
  threadNice?: number;
}

export type EndpointCommand =
  | { c: 'update'; update: EndpointUpdate }
  | { c: 'play'; op: number; specs: PlaySpec[]; opts: PlayOptions }
  | { c: 'cancel'; op: number }
  | { c: 'stopAll' }
  | { c: 'sendDtmf'; op: number; digits: string; durationMs: number }
  | { c: 'injectDtmf'; digit: string; durationMs: number }
  | { c: 'detect'; opts: DetectOptions }
  | { c: 'record'; op: number; path: string; opts: RecordOptions }
  /** Pause/resume a running record operation; replies true, or false when `op` is not recording (no-op). */
  | { c: 'pauseRecord'; op: number; paused: boolean }
  | { c: 'connect'; peer: number }
  | { c: 'disconnect' }
  | { c: 'echo'; on: boolean }
  | { c: 'stats' }
  | { c: 'startStream'; opts: StreamOptions }
  | { c: 'stopStream' }
  | { c: 'streamIn'; pcm: Int16Array; rate: 16000 | 24000 }
  | { c: 'markStream'; name: string }
  | { c: 'clearStream' }
  | { c: 'joinConference'; conf: number; opts: ConferenceJoinOptions }
  | { c: 'updateConference'; opts: ConferenceJoinOptions }
  | { c: 'leaveConference' }
  | { c: 'close' };

export type MainToWorker =
  | { t: 'create'; req: number; ep: number; port: number; opts: EndpointOptions }
  | { t: 'cmd'; req: number; ep: number; cmd: EndpointCommand }
  | { t: 'load'; req: number }
  | { t: 'createConference'; req: number; conf: number; rate: number }
  | { t: 'closeConference'; req: number; conf: number }
  /**
   * Play into conference `conf`'s mix as its operation `op`. The reply comes when the prompt
   * ENDS (value: its OperationResult — finished | cancelled), or at once with ok:false when it
   * cannot be opened; so the main thread needs no separate completion message.
   */
  | { t: 'playConference'; req: number; conf: number; op: number; specs: PlaySpec[]; opts: { loop?: number } }
  /** Stop conference play `op`; replies true, or false when it is not playing. */
  | { t: 'cancelConferencePlay'; req: number; conf: number; op: number }
  /**
   * Open this worker's half of cross-worker link `link` (relay-endpoint.ts): a relay reading ring
   * `rx` and writing ring `tx` (SharedArrayBuffers of FrameRing, shared, not copied), bridged with
   * endpoint `ep` — or, with `conf`, joined to that conference as member `key` (the far endpoint's
   * id) with `opts`. A ring whose rate is still 0 gets the endpoint's media rate (both rings).
   */
  | { t: 'relayOpen'; req: number; link: number; rx: SharedArrayBuffer; tx: SharedArrayBuffer; ep?: number; conf?: number; key?: string; opts?: ConferenceJoinOptions }
  /** Change the conference options of relay member `link` (the far endpoint's updateConference). */
  | { t: 'relayConference'; req: number; link: number; opts: ConferenceJoinOptions }
  /** Close this worker's half of `link` now (no-op when it is already gone); replies. */
  | { t: 'relayClose'; req: number; link: number }
  /** Stream-out flow control: the main thread consumed this many 'audio' batches (no reply). */
  | { t: 'streamAck'; ep: number; batches: number }
  | { t: 'shutdown'; req: number };

export interface CreatedEndpoint {
  localPort: number;
  localRtcpPort: number;
  ssrc: number;
}

export interface WorkerLoad {
  endpoints: number;
  ticks: number;
  skippedTicks: number;
  maxLateMs: number;
  /** Mean and max time spent in one tick (all endpoints), µs. */
  tickMeanUs: number;
  tickMaxUs: number;
  /** Grid re-anchors after long stalls and the lateness they gave up (see Ticker). */
  slips: number;
  slippedMs: number;
  /** Ticker health histograms (ms): lateness, spacing deviation, work per tick; and the inbound phase of each tick. */
  late: TickHistogramSnapshot;
  spacing: TickHistogramSnapshot;
  work: TickHistogramSnapshot;
  inboundPhase: TickHistogramSnapshot;
  /** RTP packets received (accepted) and sent by this worker's endpoints since it started. */
  packetsIn: number;
  packetsOut: number;
  /** Garbage collections in this worker thread since it started. */
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
  /** Of those, scavenges started by the worker after a tick's work so none lands in a send burst (gc-steer.ts). */
  gcSteered?: number;
  /** V8 heap used by this worker, bytes. */
  heapUsedBytes: number;
  /** Exceptions thrown by one endpoint's (or conference's) tick work, counted and contained. */
  tickErrors?: number;
  /** The native RTP pacer's counters (one pacer per process: every worker reports the same), when it is loaded. */
  pacer?: PacerStats;
  /** Cross-worker relays open in this worker now (half-links; relay-endpoint.ts). */
  relays?: number;
  /** Over every relay this worker has had: frames read from the far side, empty reads, frames shed to bound the delay, frames the far side lost to a full ring. */
  relayFramesIn?: number;
  relayUnderruns?: number;
  relayShed?: number;
  relayDropped?: number;
  /** Time from the far worker writing a frame to this worker reading it (ms): mean and max. */
  relayLatencyMeanMs?: number;
  relayLatencyMaxMs?: number;
}

export type WorkerToMain =
  /** `warning`: something the worker could not set up but works without (e.g. its thread priority). */
  | { t: 'ready'; warning?: string }
  | { t: 'reply'; req: number; ok: true; value?: CreatedEndpoint | EndpointStats | WorkerLoad | boolean | OperationResult }
  | { t: 'reply'; req: number; ok: false; error: string; code?: string }
  | { t: 'opDone'; ep: number; op: number; result: OperationResult }
  /** Stream-out chunks, 20 ms each at the stream rate; their buffers are transferred. */
  | { t: 'audio'; ep: number; rate: number; frames: Int16Array[] }
  | { [K in EndpointEventName]: { t: 'event'; ep: number; name: K; data: EndpointEventMap[K] } }[EndpointEventName];
