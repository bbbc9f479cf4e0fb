// Wires the native REST API into a node: tenancy, calls, operations, recordings, CDRs, event
// replay and request idempotency. The HTTP app listens before the store is open (probes must
// answer while starting), so the routes are mounted at once and reach the services through
// getters that stay empty — answering 503 NOT_READY — until the store is migrated and the
// config file's declarations are applied.
//
// How the pieces meet without widening the server's constructor: startTenancy() is handed the
// opened store, so it records the store (and clock) beside the Tenancy it returns; the
// mounted routes already hold the server's tenancy getter and find the store through it. The
// CallService is built by the calls wiring (adapters) after that; it hands it over with
// provideCallService(http, calls), or a caller passes `calls` to mountNativeApi directly.
import { unlink } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { CdrService, createTenancy, type CallService, type Tenancy } from '../core/index.ts';
import { registerNativeApi, type EventsSource, type RecordingsSource } from '../faces/native/index.ts';
import { systemClock, type Clock, type Logger } from '../lib/index.ts';
import type { Store } from '../store/index.ts';
import type { Config } from './config.ts';

interface NodeParts {
  store: Store;
  clock: Clock;
  cdrs: CdrService;
  recordings: RecordingsSource;
}

/** Set by startTenancy: what the routes need beside the Tenancy, found through it. */
const partsOf = new WeakMap<Tenancy, NodeParts>();
/** Set by provideCallService: the node's CallService per HTTP app. */
const callsOf = new WeakMap<FastifyInstance, CallService>();

/** The store's recordings, plus removal of the audio file when a row is deleted. */
export function recordingsSource(store: Store, logger?: Logger): RecordingsSource {
  const repo = store.calls.recordings;
  return {
    get: (id) => repo.get(id),
    list: (q) => repo.list(q),
    listByCall: (callId) => repo.listByCall(callId),
    async delete(id) {
      const row = await repo.get(id);
      if (!row || !(await repo.delete(id))) return false;
      // The row goes first: a file without a row is unreachable garbage, a row without a file
      // would answer RECORDING_NOT_FOUND on download — either way nothing is served wrongly.
      await unlink(row.path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') logger?.warn({ err, recordingId: id }, 'recording file not removed');
      });
      return true;
    },
  };
}

export interface NativeApiSources {
  /** The node's CallService; default: whatever provideCallService(http, …) handed over. */
  calls?: () => CallService | undefined;
  /** Default: warnings about idempotency records and recording files go nowhere. */
  logger?: Logger;
}

export function mountNativeApi(http: FastifyInstance, adminKey: string, tenancy: () => Tenancy | undefined, sources: NativeApiSources = {}): void {
  const parts = (): NodeParts | undefined => {
    const t = tenancy();
    return t && partsOf.get(t);
  };
  // The guard is built now; its clock follows the node's once the store is open.
  const clock: Clock = {
    now: () => (parts()?.clock ?? systemClock).now(),
    setTimeout: (fn, ms) => (parts()?.clock ?? systemClock).setTimeout(fn, ms),
  };
  const events = (): EventsSource | undefined => parts()?.store.outbox;
  registerNativeApi(http, {
    adminKey,
    tenancy,
    calls: sources.calls ?? (() => callsOf.get(http)),
    cdrs: () => parts()?.cdrs,
    recordings: () => parts()?.recordings,
    events,
    idempotency: () => parts()?.store.idempotency,
    clock,
    ...(sources.logger ? { logger: sources.logger } : {}),
  });
}

/** Hands the node's CallService to the native API mounted on `http` (call once it exists). */
export function provideCallService(http: FastifyInstance, calls: CallService): void {
  callsOf.set(http, calls);
  for (const fn of callServiceListeners.get(http) ?? []) fn(calls);
}

const callServiceListeners = new WeakMap<FastifyInstance, ((calls: CallService) => void)[]>();

/** Runs `fn` once the node's CallService is handed over (other faces: src/server/acs-wiring.ts). */
export function onCallService(http: FastifyInstance, fn: (calls: CallService) => void): void {
  const c = callsOf.get(http);
  if (c) return fn(c);
  callServiceListeners.set(http, [...(callServiceListeners.get(http) ?? []), fn]);
}

/** The opened store behind a Tenancy built by startTenancy (for wiring other faces). */
export function nodeStoreOf(tenancy: Tenancy): Store | undefined {
  return partsOf.get(tenancy)?.store;
}

/** Builds the services and applies config declarations; a bad declaration fails the start. */
export async function startTenancy(store: Store, config: Config, logger: Logger, clock: Clock): Promise<Tenancy> {
  const tenancy = createTenancy(store, { clock });
  const d = config.declared;
  if (d && (d.applications?.length ?? 0) + (d.trunks?.length ?? 0) > 0) {
    try {
      const report = await tenancy.applyDeclarations(d);
      logger.info({ created: report.created, updated: report.updated.length, revokedKeys: report.revokedKeys }, 'config declarations applied');
    } catch (err) {
      throw new Error(`config file declarations: ${(err as Error).message}`, { cause: err });
    }
  }
  partsOf.set(tenancy, { store, clock, cdrs: new CdrService(store), recordings: recordingsSource(store, logger) });
  return tenancy;
}
