/**
 * The native RTP pacer (native/rtp-pacer.c), loaded when it was built: one thread per process
 * that sends each prepared packet at its due time, independent of the worker's event loop, GC
 * and of how long the other calls' sends take (docs/adr/0006-native-rtp-pacer.md).
 *
 * Optional by design: `loadPacer()` returns undefined when the module is missing (no C compiler
 * at install time, not Linux) or `SWITCHBOARD_MEDIA_PACER=0`; the engine then sends from
 * JavaScript exactly as before. Nothing here throws at import time.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';

export interface PacerStats {
  /** Packets the pacer sent / that send(2) refused (a lost packet to the peer). */
  sent: number;
  errors: number;
  /** Packets taken back before their due time (the endpoint changed what it sends). */
  cancelled: number;
  wakeups: number;
  slotsInUse: number;
  /** Largest lateness of a send behind its due time, ms. */
  lateMaxMs: number;
  /** Sends by lateness: < 0.05, 0.1, 0.25, 0.5, 1, 2, 5 ms, more. */
  lateHist: number[];
  /** The pacer thread's scheduling ("nice -15", "SCHED_FIFO 10", or why neither). */
  priority: string;
}

export interface NativePacer {
  /** Start the pacer thread (idempotent; open() also does) and return the scheduling it got: "SCHED_FIFO 10", "nice -15 …" or why neither. */
  start(): string;
  /** Borrow a socket's fd (a connected UDP socket): returns a slot. Throws when no slot is left. */
  open(fd: number): number;
  /** Queue `bytes[0, len)` to leave on the slot's socket at `dueMs` (monotonic ms, the clock of process.hrtime); false when the slot still holds a packet. */
  submit(slot: number, bytes: Uint8Array, len: number, dueMs: number): boolean;
  /** Take the queued packet back; true when it will not be sent, false when it has left already (or none was queued). */
  cancel(slot: number): boolean;
  /** True while a queued packet has not left yet. */
  pending(slot: number): boolean;
  /** Cancel and free the slot; the fd is not used after this returns (the socket may be closed). */
  close(slot: number): void;
  /** send(2) on a connected socket now, from this thread; false when the datagram did not leave. */
  sendNow(fd: number, bytes: Uint8Array, len: number): boolean;
  stats(): PacerStats;
  /** The monotonic clock in ms. */
  now(): number;
}

export const PACER_LATE_BUCKETS_MS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5] as const;

const PACER_FUNCTIONS = ['start', 'open', 'submit', 'cancel', 'pending', 'close', 'sendNow', 'stats', 'now'] as const satisfies readonly (keyof NativePacer)[];

let loaded: NativePacer | undefined | null = null;

/** The pacer module, or undefined when it is not built or switched off ($SWITCHBOARD_MEDIA_PACER=0). */
export function loadPacer(): NativePacer | undefined {
  if (loaded !== null) return loaded;
  loaded = undefined;
  if (process.env.SWITCHBOARD_MEDIA_PACER === '0' || process.platform !== 'linux') return loaded;
  const file = new URL('../../../native/build/rtp_pacer.node', import.meta.url).pathname;
  if (!existsSync(file)) return loaded;
  try {
    const m = createRequire(import.meta.url)(file) as Partial<NativePacer>;
    // A module built from an older native/rtp-pacer.c (a pull without `npm install`) may lack a
    // function: use the JavaScript path rather than fail mid-call (`npm start` rebuilds it).
    if (PACER_FUNCTIONS.every((f) => typeof m[f] === 'function')) loaded = m as NativePacer;
  } catch {
    loaded = undefined; // built for another Node-API or platform: the JavaScript path is used
  }
  return loaded;
}

/**
 * The file descriptor of a bound dgram socket (Node keeps it on the socket's internal handle;
 * there is no public accessor). Undefined when it cannot be read — the caller then does not pace.
 */
export function socketFd(socket: object): number | undefined {
  const sym = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const handle = sym ? (socket as Record<symbol, { handle?: { fd?: unknown } }>)[sym]?.handle : undefined;
  const fd = handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}
