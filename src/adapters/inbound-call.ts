// Hands a routed inbound INVITE to core: creates the leg's media endpoint, wraps the session in
// a SipChannel and the endpoint in an EngineMediaEndpoint, and gives both to
// CallService.incoming. From then on core owns the leg (ringing, the no-answer timer, answer
// or reject by the application).
//
// It must never leave a half-made leg: whatever fails first (endpoint, core), the INVITE gets
// a final response (503/500) and the endpoint is closed.
import type { CallService, Participant } from '../core/index.ts';
import type { Clock, Logger } from '../lib/index.ts';
import type { MediaEngine } from '../media/index.ts';
import type { IncomingSession } from '../sip/index.ts';
import { EngineMediaEndpoint } from './engine-media-endpoint.ts';
import { SdpMedia } from './sdp-media.ts';
import { SipChannel } from './sip-channel.ts';

export interface InboundCallDeps {
  calls: CallService;
  media: MediaEngine;
  /** Address in our SDP. */
  publicHost: string;
  clock: Clock;
  logger: Logger;
  /** Directory for the endpoint's scratch files (utterances). */
  scratchDir: string;
}

export interface InboundCallInfo {
  applicationId: string;
  from: Participant;
  to: Participant;
}

function stillOpen(s: IncomingSession): boolean {
  return s.state === 'initial' || s.state === 'early';
}

/** Resolves once core has the call (or the INVITE was refused); never rejects. */
export async function takeInboundCall(session: IncomingSession, info: InboundCallInfo, deps: InboundCallDeps): Promise<void> {
  const callId = session.request.callId ?? '';
  const logger = deps.logger.child({ callId });
  let handle;
  try {
    handle = await deps.media.createEndpoint({ codec: { name: 'PCMU', clockRate: 8000, payloadType: 0 } });
  } catch (err) {
    logger.warn({ err }, 'no media endpoint for the call');
    if (stillOpen(session)) session.reject(503, 'Service Unavailable');
    return;
  }
  if (!stillOpen(session)) {
    // CANCELled while the endpoint was being made.
    await handle.close();
    return;
  }
  const channel = new SipChannel(session, 'inbound', {
    id: callId, remote: info.from, local: info.to, media: new SdpMedia(handle, deps.publicHost), clock: deps.clock, logger,
  });
  const media = new EngineMediaEndpoint(handle, { clock: deps.clock, logger, scratchDir: deps.scratchDir });
  try {
    await deps.calls.incoming(channel, media, info);
  } catch (err) {
    logger.warn({ err }, 'core refused the call');
    if (stillOpen(session)) session.reject(500, 'Server Internal Error');
    await media.close().catch(() => {});
  }
}
