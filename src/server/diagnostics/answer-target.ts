// `sip:answer@<host>` — a diagnostic callee so operators can test a trunk or a phone without
// writing an application: it answers with SDP and waits for BYE. Request-URI parameters
// shape the call for tests:
//   ;ring=MS     send 180 Ringing and answer after MS ms (default 0: answer at once)
//   ;hangup=MS   send BYE MS ms after the ACK (default: wait for the caller's BYE)
//   ;status=CODE reject with CODE instead of answering (e.g. 486)
// It negotiates SDP like a real endpoint (RFC 3264, hold/resume re-offers) but has no media
// yet: the advertised RTP port is leased from the pool and nothing is sent to it.
// It must never throw into the SIP stack: a bad offer is a 488, not an exception.
import { createOffer, negotiateAnswer, parseSdp, serializeSdp, WELL_KNOWN_CODECS, type SessionDescription } from '../../sdp/index.ts';
import type { IncomingSession } from '../../sip/index.ts';
import type { Clock, Logger } from '../../lib/index.ts';
import type { RtpPortPool } from './rtp-port-pool.ts';

export interface AnswerTargetDeps {
  /** Address advertised in SDP. */
  publicHost: string;
  ports: RtpPortPool;
  clock: Clock;
  logger: Logger;
}

const CODECS = [WELL_KNOWN_CODECS.PCMU, WELL_KNOWN_CODECS.PCMA];

/** Longest ring or hang-up delay a caller may ask for: an hour. */
const MAX_DELAY_MS = 3_600_000;

function numberParam(session: IncomingSession, name: string): number | undefined {
  const v = session.request.requestUri.params.get(name);
  if (v === undefined || v === null) return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 && n <= MAX_DELAY_MS ? n : undefined;
}

export function runAnswerTarget(session: IncomingSession, deps: AnswerTargetDeps): void {
  const status = numberParam(session, 'status');
  if (status !== undefined && status >= 300 && status <= 699) {
    session.reject(status);
    return;
  }
  const port = deps.ports.lease();
  let previous: SessionDescription | undefined;
  const timers: { cancel(): void }[] = [];
  session.once('terminated', () => {
    for (const t of timers) t.cancel();
    deps.ports.release(port);
  });

  /** Our SDP answer to an offer, or the status to refuse it with. */
  function answerTo(offerBody: Buffer): string | { status: number; reason: string } {
    let offer: SessionDescription;
    try {
      offer = parseSdp(offerBody);
    } catch {
      return { status: 488, reason: 'Malformed SDP' };
    }
    const r = negotiateAnswer(offer, { address: deps.publicHost, port, codecs: CODECS, previous, username: 'switchboard' });
    if ('error' in r) return r.error;
    previous = r.answer;
    return serializeSdp(r.answer);
  }

  const answer = () => {
    if (session.state === 'terminated') return;
    const offer = session.offer;
    if (!offer || offer.body.length === 0) {
      // RFC 3261 §13.2.1: an offerless INVITE gets our offer in the 2xx; the ACK carries the answer.
      previous = createOffer({ address: deps.publicHost, port, codecs: CODECS, username: 'switchboard' });
      session.answer({ body: serializeSdp(previous), contentType: 'application/sdp' });
      return;
    }
    const sdp = answerTo(offer.body);
    if (typeof sdp !== 'string') {
      session.reject(sdp.status, sdp.reason);
      return;
    }
    session.answer({ body: sdp, contentType: 'application/sdp' });
  };

  session.on('offer', (offer, reply) => {
    const sdp = answerTo(offer.body);
    if (typeof sdp === 'string') reply.accept(sdp);
    else reply.reject(sdp.status, sdp.reason);
  });

  const hangup = numberParam(session, 'hangup');
  if (hangup !== undefined) {
    session.once('ack', () => {
      timers.push(deps.clock.setTimeout(() => {
        session.bye().catch((err: unknown) => deps.logger.debug({ err }, 'answer target: BYE failed'));
      }, hangup));
    });
  }

  const ring = numberParam(session, 'ring');
  if (ring) {
    session.progress(180);
    timers.push(deps.clock.setTimeout(answer, ring));
  } else {
    answer();
  }
}
