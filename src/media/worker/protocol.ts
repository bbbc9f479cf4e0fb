/**
 * The message protocol between the MediaEngine (main thread) and its media workers. Every
 * message is a plain structured-clonable object; audio crosses only inside 'pcm' play specs
 * (as typed arrays). Requests carry a `req` number that the worker answers exactly once with
 * a 'reply'; long-running commands (play, record, sendDtmf) are operations with an `op` id
 * that the worker completes later with 'opDone'; endpoint events arrive as 'event'.
 *
 * ```
 *  main ──{t:'create', req, ep, port, opts}──▶ worker ──{t:'reply', req, ok, value|error}──▶ main
 *  main ──{t:'cmd', req, ep, cmd}───────────▶ worker ──{t:'reply', …}
 *                                             worker ──{t:'opDone', ep, op, result}
 *                                             worker ──{t:'event', ep, name, data}
 *  main ──{t:'shutdown', req}───────────────▶ worker closes every endpoint, replies, exits
 * ```
 */
import type {
  DetectOptions, EndpointOptions, EndpointStats, EndpointUpdate, OperationResult, PlayOptions, PlaySpec, RecordOptions,
} from '../engine/index.ts';
import type { EndpointEventMap, EndpointEventName } from '../engine/index.ts';

export interface WorkerInit {
  workerIndex: number;
  bindAddress: string;
  /** Directory of the prompt cache (URL prompts), if any. */
  cacheDir?: string;
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
  | { c: 'connect'; peer: number }
  | { c: 'disconnect' }
  | { c: 'echo'; on: boolean }
  | { c: 'stats' }
  | { c: 'close' };

export type MainToWorker =
  | { t: 'create'; req: number; ep: number; port: number; opts: EndpointOptions }
  | { t: 'cmd'; req: number; ep: number; cmd: EndpointCommand }
  | { t: 'load'; req: number }
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
}

export type WorkerToMain =
  | { t: 'ready' }
  | { t: 'reply'; req: number; ok: true; value?: CreatedEndpoint | EndpointStats | WorkerLoad | boolean }
  | { t: 'reply'; req: number; ok: false; error: string; code?: string }
  | { t: 'opDone'; ep: number; op: number; result: OperationResult }
  | { [K in EndpointEventName]: { t: 'event'; ep: number; name: K; data: EndpointEventMap[K] } }[EndpointEventName];
