// Wires the ACS Call Automation face (src/faces/acs) into a node: its routes on the node's
// HTTP port (mounted before listening, reaching tenancy and the CallService through getters
// that answer 503 until they exist), IncomingCall to each application's Event Grid URL when
// a call comes in, and the 'acs' delivery format (CloudEvents + Bearer JWT) for the events
// service. One JWT key pair and one incomingCallContext secret per process.
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { CallService, Tenancy } from '../core/index.ts';
import { acsFormatter, acsStreamFramer, ACS_FORMAT, CallbackJwtSigner, EventGridPublisher, IncomingCallContexts, incomingCallEvent, registerAcsFace } from '../faces/acs/index.ts';
import type { DeliveryFormatter, DeliveryHeaders, StreamFramer } from '../events/index.ts';
import type { Clock, Logger } from '../lib/index.ts';
import { nodeStoreOf, onCallService, recordingsSource } from './native-api-wiring.ts';

const signer = new CallbackJwtSigner();
const contexts = new IncomingCallContexts();

export function mountAcsFace(http: FastifyInstance, tenancy: () => Tenancy | undefined, logger?: Logger, clock?: Clock): void {
  let calls: CallService | undefined;
  // Event Grid endpoints must answer the validation handshake before they get events; one that
  // does not is logged on each withheld event (docs/faces/acs.md).
  const eventGrid = new EventGridPublisher({ onProblem: (url, problem) => logger?.warn({ url, problem }, 'Event Grid endpoint gets no events') });
  onCallService(http, (c) => {
    calls = c;
    c.on('incoming', (call) => {
      const t = tenancy();
      if (!t) return;
      void t.acs.incomingCallUrl(call.applicationId).then(async (url) => {
        if (!url) return;
        const status = await eventGrid.publish(url, incomingCallEvent(call, contexts.issue(call.id, call.applicationId)));
        if (status < 200 || status >= 300) logger?.warn({ callId: call.id, status }, 'IncomingCall not accepted by the Event Grid endpoint');
      }).catch((err: unknown) => logger?.warn({ err: String(err) }, 'IncomingCall not delivered'));
    });
  });
  registerAcsFace(http, {
    tenancy, calls: () => calls, contexts, signer, ...(clock ? { clock } : {}),
    idempotency: () => { const t = tenancy(); return t ? nodeStoreOf(t)?.idempotency : undefined; },
    recordings: () => { const t = tenancy(); const store = t ? nodeStoreOf(t) : undefined; return store ? recordingsSource(store, logger) : undefined; },
    eventGrid,
  });
}

/** The 'acs' delivery formatter and its per-POST Bearer JWT (issuer = this node's base URL). */
export function acsDelivery(http: FastifyInstance | undefined, publicHost: string): { formatters: Record<string, DeliveryFormatter>; formatHeaders: Record<string, DeliveryHeaders> } {
  const scheme = http?.initialConfig.https ? 'https' : 'http';
  const issuer = (): string => `${scheme}://${publicHost}:${(http?.server.address() as AddressInfo | null)?.port ?? 0}`;
  return {
    formatters: { [ACS_FORMAT]: acsFormatter },
    formatHeaders: { [ACS_FORMAT]: (e) => ({ authorization: `Bearer ${signer.sign(issuer(), e.applicationId)}` }) },
  };
}

/** The 'acs' media streaming framer; its connect requests carry the same Bearer JWT as the callbacks. */
export function acsStreaming(http: FastifyInstance | undefined, publicHost: string): StreamFramer {
  const scheme = http?.initialConfig.https ? 'https' : 'http';
  const issuer = (): string => `${scheme}://${publicHost}:${(http?.server.address() as AddressInfo | null)?.port ?? 0}`;
  return acsStreamFramer({ sign: (applicationId) => signer.sign(issuer(), applicationId) });
}
