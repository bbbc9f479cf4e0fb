// Hands a routed inbound INVITE to core: creates the leg's media endpoint, wraps the session in
// a SipChannel and the endpoint in an EngineMediaEndpoint, and gives both to
// CallService.incoming. From then on core owns the leg (ringing, the no-answer timer, answer
// or reject by the application).
//
// A call to a meeting number goes to CallService.joinConference instead (joinMeetingCall): the
// endpoint is made when core says beside which leg (the conference's media worker).
//
// It must never leave a half-made leg: whatever fails first (endpoint, core), the INVITE gets
// a final response (503/500) and the endpoint is closed.
import type { CallService, MediaEndpoint, Participant } from '../core/index.ts';
import type { Clock, Logger } from '../lib/index.ts';
import type { MediaEngine } from '../media/index.ts';
import type { IncomingSession } from '../sip/index.ts';
import { EngineMediaEndpoint } from './engine-media-endpoint.ts';
import { endpointSpecFor, SdpMedia, type EndpointSpec } from './sdp-media.ts';
import { REJECT_STATUS, SipChannel } from './sip-channel.ts';

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
  let spec: EndpointSpec;
  try {
    // The endpoint's media rate is fixed at creation: pick it from the offer (Opus → 48 kHz).
    spec = endpointSpecFor(session.offer?.body);
    handle = await deps.media.createEndpoint(spec);
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
    id: callId, remote: info.from, local: info.to, media: new SdpMedia(handle, deps.publicHost, { mediaRate: spec.codec.clockRate }), clock: deps.clock, logger,
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

export interface MeetingCallInfo {
  applicationId: string;
  /** The number's routeTo.target; core joins the conference `meeting:<meetingId>`. */
  meetingId: string;
  from: Participant;
  to: Participant;
}

/**
 * Joins the caller to a meeting (CallService.joinConference): answered by Switchboard, or
 * refused with the application's limitStatus when a limit refuses to open the conference.
 * Resolves once the caller is in (or the INVITE was refused, or the caller left); never rejects.
 */
export async function joinMeetingCall(session: IncomingSession, info: MeetingCallInfo, deps: InboundCallDeps): Promise<void> {
  const callId = session.request.callId ?? '';
  const logger = deps.logger.child({ callId });
  const connect = async (near?: MediaEndpoint): Promise<{ channel: SipChannel; media: EngineMediaEndpoint }> => {
    const nearHandle = near instanceof EngineMediaEndpoint && !near.closed ? near.handle : undefined;
    const spec = endpointSpecFor(session.offer?.body);
    const handle = await deps.media.createEndpoint({ ...spec, ...(nearHandle ? { near: nearHandle } : {}) });
    if (!stillOpen(session)) {
      await handle.close();
      throw new Error('the caller cancelled while the endpoint was being made');
    }
    const channel = new SipChannel(session, 'inbound', {
      id: callId, remote: info.from, local: info.to, media: new SdpMedia(handle, deps.publicHost, { mediaRate: spec.codec.clockRate }), clock: deps.clock, logger,
    });
    return { channel, media: new EngineMediaEndpoint(handle, { clock: deps.clock, logger, scratchDir: deps.scratchDir }) };
  };
  try {
    const out = await deps.calls.joinConference(info, connect);
    if (out.kind === 'refused' && stillOpen(session)) session.reject(REJECT_STATUS[out.reject]);
  } catch (err) {
    // connect() and core release what they made before rejecting; only the INVITE is left.
    logger.warn({ err }, 'could not join the caller to the meeting');
    if (stillOpen(session)) session.reject(503, 'Service Unavailable');
  }
}
