// Dial-in to a meeting: a caller dialed a number (or SIP URI) routed to a meeting
// (routeTo {type: 'meeting', target: <meeting id>}, docs/tenancy.md) and joins the conference
// `meeting:<meeting id>` of the number's application — found, or opened with
// CallService.openConference (./conference-registry.ts) — as one more leg of that call
// (role 'participant', direction 'inbound'). docs/calls.md "Meeting numbers".
//
// ```
//   find-or-open the conference ──limit refuses a NEW conference──▶ refused {reject: limitStatus}
//     │
//     ▼
//   connect(near) (the adapter makes the leg's media endpoint beside the conference's first
//     │             leg, and its channel; the first legs of an empty conference are made one
//     │             after another: ConferenceRegistry.firstDial)
//     ▼
//   leg added ──answer (200, ACK)──▶ answered ──mixer joined──▶ joined {call, legId}
//        └──caller CANCELs / answer fails──▶ gone (the leg ended; the conference goes on)
// ```
// Counting: the conference is ONE call for maxConcurrentCalls / callsPerSecond, charged when the
// dial-in opens it (as openConference does); a caller joining a live conference is a leg, like
// a party added with addParticipant, and is not counted again. The conference is answered at
// once by Switchboard: the application learns of it from call.created / call.answered (when this
// caller opened it) and participants.updated (every answer and hangup of a party), not from
// call.incoming — there is nothing for it to answer.
//
// It must never leave a half-made leg: when anything fails after connect(), the channel is
// refused (503) and the endpoint closed before the error goes back to the adapter.
import { randomUUID } from 'node:crypto';
import type { Clock, Logger } from '../../lib/index.ts';
import type { ApplicationRecord } from '../../store/index.ts';
import type { Channel, MediaEndpoint, Participant, RejectReason } from '../ports/index.ts';
import { applicationPrincipal, type Principal } from '../tenancy/index.ts';
import type { Call } from './call.ts';
import { CallError } from './call-error.ts';
import type { ResolvedCallHandling } from './call-handling.ts';
import type { OpenConferenceOptions } from './call-service.ts';
import { Leg } from './leg.ts';

/** Locator prefix of meetings reached by dial-in: a meeting id `weekly` is the conference `meeting:weekly`. */
export const MEETING_LOCATOR_PREFIX = 'meeting:';

export interface JoinConferenceInfo {
  /** The application that owns the number (and so the conference). */
  applicationId: string;
  /** The meeting id (the number's routeTo.target); the conference locator is `meeting:<meetingId>`. */
  meetingId: string;
  /** The caller. */
  from: Participant;
  /** The dialed number or SIP URI, as routed. */
  to: Participant;
}

/**
 * Makes the caller's leg: its media endpoint — beside `near` when given (same media worker as
 * the conference's other legs, so one mixer can hold them) — and its channel. Rejects when it
 * cannot (e.g. the caller cancelled meanwhile); it must then have released what it made.
 */
export type ConnectLeg = (near?: MediaEndpoint) => Promise<{ channel: Channel; media: MediaEndpoint }>;

export type JoinOutcome =
  | { kind: 'joined'; call: Call; legId: string }
  /** A limit refused opening the conference: reject the INVITE with `reject` (the application's limitStatus). */
  | { kind: 'refused'; reject: RejectReason; reason: 'concurrent-call-limit' | 'call-rate-limit' }
  /** The caller left (CANCEL) or could not be answered; the leg is recorded as ended. */
  | { kind: 'gone'; call: Call; legId: string };

/** What joinConference needs from CallService (its private parts, handed over by the hook). */
export interface ConferenceJoinDeps {
  clock: Clock;
  logger: Logger;
  assertOpen(): void;
  loadApp(applicationId: string): Promise<ApplicationRecord>;
  handlingOf(app: ApplicationRecord): ResolvedCallHandling;
  openConference(principal: Principal, o: OpenConferenceOptions): Promise<{ call: Call; created: boolean }>;
  /** ConferenceRegistry.firstDial: serializes the legs made while the conference has none. */
  firstDial<T>(callId: string, make: () => Promise<T>): Promise<T>;
}

export async function joinConference(deps: ConferenceJoinDeps, info: JoinConferenceInfo, connect: ConnectLeg): Promise<JoinOutcome> {
  deps.assertOpen();
  const app = await deps.loadApp(info.applicationId);
  const locator = `${MEETING_LOCATOR_PREFIX}${info.meetingId}`;
  let call: Call;
  try {
    ({ call } = await deps.openConference(applicationPrincipal(app.id), { locator }));
  } catch (err) {
    if (err instanceof CallError && (err.code === 'CALL_LIMIT_EXCEEDED' || err.code === 'RATE_LIMITED')) {
      const reason = err.code === 'CALL_LIMIT_EXCEEDED' ? 'concurrent-call-limit' : 'call-rate-limit';
      deps.logger.info({ applicationId: app.id, locator, reason }, 'meeting dial-in refused by a limit');
      return { kind: 'refused', reject: deps.handlingOf(app).limitReject, reason };
    }
    throw err;
  }

  const place = async (): Promise<Leg> => {
    // Same rule as every dialed leg (CallService.env dialLeg): beside the first live leg.
    const near = [...call.legs.values()].find((l) => !l.media.closed)?.media;
    const { channel, media } = await connect(near);
    try {
      if (call.state !== 'established') throw new CallError('INVALID_STATE', `conference ${call.id} is ${call.state}`);
      const leg = new Leg(randomUUID(), call.id, info.from, 'participant', 'inbound', channel, media, deps.clock.now());
      await call.addLeg(leg);
      return leg;
    } catch (err) {
      await Promise.allSettled([channel.reject('unavailable'), media.close()]);
      throw err;
    }
  };
  const placed = [...call.legs.values()].some((l) => !l.media.closed);
  const leg = placed ? await place() : await deps.firstDial(call.id, place);
  const log = deps.logger.child({ callId: call.id, legId: leg.id, locator });

  try {
    await leg.channel.answer();
  } catch (err) {
    // CANCEL before our 200, or no ACK: the channel's hangup ends the leg (journaled, CDR at the end).
    log.info({ err: String(err) }, 'meeting caller left before the answer completed');
    return { kind: 'gone', call, legId: leg.id };
  }
  // A channel that emits 'answered' on the ACK (SipChannel) already marked the leg answered and
  // published participants.updated (Call.onLegAnswered); one that does not gets both here.
  if (leg.state !== 'answered') {
    call.legAnswered(leg);
    void call.publishParticipants().catch(() => {});
  }
  try {
    await call.mix.conference();
  } catch (err) {
    // A party nobody can hear is worse than no party (as in addParticipant): hang the leg up.
    log.warn({ err: String(err) }, 'meeting caller could not be mixed in; hanging up');
    await leg.channel.hangup('error').catch(() => {});
    return { kind: 'gone', call, legId: leg.id };
  }
  log.info({ from: info.from, to: info.to }, 'caller joined the meeting');
  return { kind: 'joined', call, legId: leg.id };
}
