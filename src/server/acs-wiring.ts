// Wires the ACS Call Automation face (src/faces/acs) into a node: its routes on the node's
// HTTP port (mounted before listening, reaching tenancy and the CallService through getters
// that answer 503 until they exist), the 'acs' delivery format (CloudEvents + Bearer JWT) for
// the events service, and Event Grid notifications through the durable outbox: for an
// application with an Event Grid URL, IncomingCall follows each committed call.incoming and
// RecordingFileStatusUpdated follows each recording that became final (any recording of the
// call, however it was started) — appended as events of the 'acs-eventgrid' format, held back
// by the validation handshake gate until the URL echoed a code, retried with backoff,
// dead-lettered after the usual limits and kept across restarts (docs/faces/acs.md "Event
// Grid"). The callback JWT key pair is the node's: kept in <dataDir>/acs-callback-keys.json
// (CallbackJwtSigner: same kid across restarts, rotation keeps the old public key a while;
// without a dataDir, one in-memory key shared by every mount of the process); tokens are only
// ever signed with the key of the face mounted on the same HTTP app, the one its JWKS serves;
// one incomingCallContext secret and one set of validated URLs per process (a restart
// validates again).
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { CallService, Tenancy } from '../core/index.ts';
import {
  acsFormatter, acsStreamFramer, ACS_FORMAT, CallbackJwtSigner, type AcsFace, EventGridPublisher, EventGridValidations, EVENT_GRID_FORMAT,
  eventGridFormatter, generateCallbackKey, eventGridHeaders, IncomingCallContexts, incomingCallNotice, isRecordingFinal, recordingFileNotice, registerAcsFace,
} from '../faces/acs/index.ts';
import { DerivedEventPublisher, type DeliveryFormatter, type DeliveryGate, type DeliveryHeaders, type DerivedEvent, type StreamFramer } from '../events/index.ts';
import type { Clock, Logger } from '../lib/index.ts';
import type { Store, StoredEvent } from '../store/index.ts';
import { nodeStoreOf, onCallService, recordingsSource } from './native-api-wiring.ts';

/** The callback key file in a node's data dir (docs/faces/acs.md "Callback JWT keys"). */
export const ACS_CALLBACK_KEY_FILE = 'acs-callback-keys.json';
/** Each mounted face's signer and auth counters, by the node's HTTP app. */
const mounted = new WeakMap<FastifyInstance, { signer: CallbackJwtSigner; face: AcsFace }>();
/**
 * The signer of the face mounted on `http`. There is no fallback key on purpose: a token signed
 * with a key no JWKS serves would fail every bot's validation with nothing in our logs. A node
 * always mounts the face (server.ts) before its services build, so this throws only for a
 * ServiceContext without `http` (or an app without the face) that has an ACS callback to send:
 * the delivery records the error (retried, then dead-lettered, visible in the attempts) and an
 * ACS media stream fails to connect — never silently.
 */
function signerOf(http: FastifyInstance | undefined): CallbackJwtSigner {
  const signer = http && mounted.get(http)?.signer;
  if (!signer) {
    throw new Error(http
      ? 'ACS callback JWT: no ACS face is mounted on this HTTP app (mountAcsFace), so no JWKS serves a key to sign with'
      : 'ACS callback JWT: the service context has no HTTP app, so no ACS face and no JWKS: ACS callbacks cannot be signed');
  }
  return signer;
}
/**
 * The in-memory callback key of mounts without a dataDir (tests that start many nodes): one per
 * process, generated on first use — an RSA-2048 key costs ~100 ms of CPU per mount otherwise.
 * Each mount still has its own signer (its own clock, rotation and JWKS), starting from this key.
 */
let processKey: ReturnType<typeof generateCallbackKey> | undefined;
const contexts = new IncomingCallContexts();
/** Where handshake failures are logged: the last mounted face's logger. */
let problemLogger: Logger | undefined;
// Event Grid endpoints must answer the validation handshake before they get events; one that
// does not is logged on each held-back attempt (docs/faces/acs.md).
const validations = new EventGridValidations({ onProblem: (url, problem) => problemLogger?.warn({ url, problem }, 'Event Grid endpoint gets no events yet') });
/** Event types the outbox delivers: the face's direct publisher leaves them alone. */
const OUTBOXED = new Set(['Microsoft.Communication.IncomingCall', 'Microsoft.Communication.RecordingFileStatusUpdated']);
/** How far back the start-up sweep looks for final recordings without a file notice: 1 h. */
const SWEEP_WINDOW_MS = 3_600_000;

/**
 * Mounts the face on a node's HTTP app. `dataDir` (default none: the process's in-memory key,
 * see processKey) holds the callback JWT key file, created on first start and loaded after.
 */
export function mountAcsFace(http: FastifyInstance, tenancy: () => Tenancy | undefined, logger?: Logger, clock?: Clock, dataDir?: string): void {
  const signer = new CallbackJwtSigner({
    ...(dataDir !== undefined ? { keyFile: join(dataDir, ACS_CALLBACK_KEY_FILE) } : { initialKey: (processKey ??= generateCallbackKey()) }),
    // The node's clock runs the 90-day rotation check (hourly, off the delivery path).
    ...(clock ? { clock } : {}),
    ...(logger ? { logger } : {}),
  });
  let calls: CallService | undefined;
  let notices: DerivedEventPublisher | undefined;
  problemLogger = logger;
  const eventGrid = new EventGridPublisher({ outboxed: OUTBOXED, onProblem: (url, problem) => logger?.warn({ url, problem }, 'Event Grid endpoint gets no events') });
  onCallService(http, (c) => {
    calls = c;
    const t = tenancy();
    const store = t ? nodeStoreOf(t) : undefined;
    if (!t || !store) {
      logger?.error('no store behind the tenancy: Event Grid notifications (IncomingCall, RecordingFileStatusUpdated) are not sent');
      return;
    }
    notices = eventGridNotices(store, t, logger, clock);
    void notices.start().catch((err: unknown) => logger?.error({ err }, 'Event Grid notifications: start failed'));
  });
  // Stops following commits when HTTP closes (the server closes the store just before, so an
  // append racing the shutdown may fail: it is logged, and the next start's sweep appends the
  // recording notice; an IncomingCall dies with its ringing call).
  http.addHook('onClose', async () => { signer.close(); await notices?.stop(); });
  const face = registerAcsFace(http, {
    tenancy, calls: () => calls, contexts, signer, ...(clock ? { clock } : {}),
    idempotency: () => { const t = tenancy(); return t ? nodeStoreOf(t)?.idempotency : undefined; },
    recordings: () => { const t = tenancy(); const store = t ? nodeStoreOf(t) : undefined; return store ? recordingsSource(store, logger) : undefined; },
    eventGrid,
  });
  mounted.set(http, { signer, face });
}

/** The mounted face of a node's HTTP app: its callback signer and HMAC auth counters (tests, diagnostics). */
export function acsFaceOf(http: FastifyInstance): { signer: CallbackJwtSigner; authStats: AcsFace['authStats'] } | undefined {
  const m = mounted.get(http);
  return m && { signer: m.signer, authStats: m.face.authStats };
}

/**
 * Appends the Event Grid notifications of applications with an Event Grid URL: IncomingCall
 * after call.incoming, RecordingFileStatusUpdated after any event that carries a recordingId
 * whose row is final (recording.stateChanged stopped/failed, recordResponse's completion …).
 * Its sweep finds recordings that became final within the last hour without a notice (the node
 * died between the two commits). IncomingCall has no sweep: a ringing call does not outlive a
 * restart (call recovery ends it), so there is nobody left to answer.
 */
export function eventGridNotices(store: Store, t: Tenancy, logger?: Logger, clock?: Clock): DerivedEventPublisher {
  const target = async (applicationId: string): Promise<{ url: string; format: string } | undefined> => {
    const url = await t.acs.incomingCallUrl(applicationId);
    return url ? { url, format: EVENT_GRID_FORMAT } : undefined;
  };
  const forRecording = async (recordingId: string): Promise<DerivedEvent | undefined> => {
    const row = await store.calls.recordings.get(recordingId);
    const event = row && recordingFileNotice(row);
    const to = event && (await target(event.applicationId));
    return event && to ? { event, target: to } : undefined;
  };
  return new DerivedEventPublisher({
    outbox: store.outbox,
    ...(logger ? { logger } : {}),
    async derive(e: StoredEvent) {
      if (e.type === 'call.incoming') {
        const event = incomingCallNotice(e);
        const to = event && (await target(e.applicationId));
        return event && to ? { event, target: to } : undefined;
      }
      const recordingId = (e.data as { recordingId?: unknown }).recordingId;
      if (typeof recordingId !== 'string' || e.type.startsWith('acs.eventGrid.')) return undefined;
      // recording.stateChanged active/paused and other mid-recording events: the row is not final.
      if (e.type === 'recording.stateChanged' && !isRecordingFinal(e)) return undefined;
      return forRecording(recordingId);
    },
    async sweep() {
      const now = (clock ?? { now: Date.now }).now();
      const out: DerivedEvent[] = [];
      // Pages are by start time; a recording that ended within the window started at most a day before it.
      for (let afterId: string | undefined; ;) {
        const page = await store.calls.recordings.list({ since: now - SWEEP_WINDOW_MS - 86_400_000, limit: 1000, ...(afterId ? { afterId } : {}) });
        for (const r of page) {
          if (r.updatedAt < now - SWEEP_WINDOW_MS) continue;
          const d = await forRecording(r.id);
          if (d) out.push(d);
        }
        if (page.length < 1000) break;
        afterId = page[page.length - 1].id;
      }
      return out;
    },
  });
}

/** The 'acs' delivery formatter and its per-POST Bearer JWT (issuer = this node's base URL). */
export function acsDelivery(http: FastifyInstance | undefined, publicHost: string): {
  formatters: Record<string, DeliveryFormatter>; formatHeaders: Record<string, DeliveryHeaders>; gates: Record<string, DeliveryGate>;
} {
  const scheme = http?.initialConfig.https ? 'https' : 'http';
  const issuer = (): string => `${scheme}://${publicHost}:${(http?.server.address() as AddressInfo | null)?.port ?? 0}`;
  return {
    // 'acs-eventgrid': IncomingCall / RecordingFileStatusUpdated; file URLs on this node's public base.
    formatters: { [ACS_FORMAT]: acsFormatter, [EVENT_GRID_FORMAT]: eventGridFormatter({ contexts, base: issuer }) },
    formatHeaders: { [ACS_FORMAT]: (e) => ({ authorization: `Bearer ${signerOf(http).sign(issuer(), e.applicationId)}` }), [EVENT_GRID_FORMAT]: eventGridHeaders },
    gates: { [EVENT_GRID_FORMAT]: validations.gate },
  };
}

/** The 'acs' media streaming framer; its connect requests carry the same Bearer JWT as the callbacks. */
export function acsStreaming(http: FastifyInstance | undefined, publicHost: string): StreamFramer {
  const scheme = http?.initialConfig.https ? 'https' : 'http';
  const issuer = (): string => `${scheme}://${publicHost}:${(http?.server.address() as AddressInfo | null)?.port ?? 0}`;
  return acsStreamFramer({ sign: (applicationId) => signerOf(http).sign(issuer(), applicationId) });
}
