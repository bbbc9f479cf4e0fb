// The diagnostic callees, so operators can test a trunk, a phone or the media path without
// writing an application:
//   sip:answer@   answers and waits for BYE; sends silence, receives (RTP stats, DTMF)
//   sip:echo@     sends back what it receives (after the reorder buffer)
//   sip:tone@     a continuous 1 kHz tone at −10 dBFS
//   sip:playback@ a prompt loop (beep + pause) with RFC 4733, in-band DTMF and VAD detection
//                 running; each digit is counted in media_dtmf_digits_total{source}
// Request-URI parameters shape the call for tests:
//   ;ring=MS     send 180 Ringing and answer after MS ms (default 0: answer at once)
//   ;hangup=MS   send BYE MS ms after the ACK (default: wait for the caller's BYE)
//   ;status=CODE reject with CODE instead of answering (e.g. 486)
// Codecs: answers pick PCMU, PCMA, then Opus (adapters ANSWER_CODECS); our offers are G.711.
// Each call gets a real media endpoint (a worker-side RTP socket pair) before it is answered;
// SDP is negotiated like a real endpoint (RFC 3264, offerless INVITE, re-INVITE hold/resume),
// and the endpoint follows every new offer. The endpoint is closed when the session ends,
// whatever the order of events (CANCEL while the endpoint is being created included).
// It must never throw into the SIP stack: a bad offer is a 488, not an exception.
import {
  applyAnswer, createOffer, negotiateAnswer, parseSdp, serializeSdp,
  type NegotiatedMedia, type SessionDescription,
} from '../../sdp/index.ts';
import type { IncomingSession } from '../../sip/index.ts';
import type { Clock, Logger } from '../../lib/index.ts';
import type { DtmfEventData, EndpointUpdate, MediaEndpointHandle, MediaEngine, MediaDirection, PlaySpec } from '../../media/index.ts';
import { answerCodecsAt, endpointSpecFor, ENGINE_CODECS, parseDtmfRelay } from '../../adapters/index.ts';

export type DiagnosticKind = 'answer' | 'echo' | 'tone' | 'playback';

export const DIAGNOSTIC_TARGETS: readonly DiagnosticKind[] = ['answer', 'echo', 'tone', 'playback'];

export interface DiagnosticDeps {
  /** Address advertised in SDP. */
  publicHost: string;
  media: MediaEngine;
  clock: Clock;
  logger: Logger;
  /** A digit was detected on a call (for metrics). */
  onDtmf?: (ev: DtmfEventData, callId: string) => void;
  /** The call's endpoint exists (for tests and tools). */
  onEndpoint?: (handle: MediaEndpointHandle, callId: string, kind: DiagnosticKind) => void;
}

/** Longest ring or hang-up delay a caller may ask for: an hour. */
const MAX_DELAY_MS = 3_600_000;

/** sip:tone@ — 1 kHz, continuous, −10 dBFS (the level the players module and the fallback use). */
const TONE_1K: PlaySpec = { kind: 'tone', tone: { freqs: [1000], onMs: 1000, offMs: 0, totalMs: 0 } };
/** sip:playback@ — the prompt loop: a beep, then a pause to talk or key in. */
const PROMPT_LOOP: PlaySpec[] = [{ kind: 'tone', tone: 'beep' }, { kind: 'silence', ms: 1750 }];

function numberParam(session: IncomingSession, name: string): number | undefined {
  const v = session.request.requestUri.params.get(name);
  if (v === undefined || v === null) return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 && n <= MAX_DELAY_MS ? n : undefined;
}

/** The endpoint settings a negotiation result implies. */
function mediaUpdate(m: NegotiatedMedia): EndpointUpdate {
  const direction: MediaDirection = m.direction;
  return {
    remote: { address: m.remoteAddress, port: m.remotePort, rtcpPort: m.remoteRtcpPort, rtcpMux: m.rtcpMux },
    codec: { name: m.codec.name, clockRate: m.codec.clockRate, payloadType: m.codec.payloadType },
    ...(m.telephoneEvent ? { telephoneEvent: m.telephoneEvent } : {}),
    direction,
  };
}

export function runDiagnosticTarget(session: IncomingSession, kind: DiagnosticKind, deps: DiagnosticDeps): void {
  const status = numberParam(session, 'status');
  if (status !== undefined && status >= 300 && status <= 699) {
    session.reject(status);
    return;
  }
  const callId = session.request.callId ?? '';
  const log = deps.logger.child({ callId, target: kind });
  let handle: MediaEndpointHandle | undefined;
  let previous: SessionDescription | undefined;
  /** The endpoint's media rate; answers to later offers stay at it. */
  let mediaRate = 8000;
  let ended = false;
  const timers: { cancel(): void }[] = [];

  session.once('terminated', () => {
    ended = true;
    for (const t of timers) t.cancel();
    handle?.close().catch(() => {});
  });

  const follow = (m: NegotiatedMedia) => {
    handle?.update(mediaUpdate(m)).catch((err: unknown) => log.debug({ err }, 'media update failed'));
  };

  /** Our SDP answer to an offer, or the status to refuse it with. */
  function answerTo(offerBody: Buffer, port: number): string | { status: number; reason: string } {
    let offer: SessionDescription;
    try {
      offer = parseSdp(offerBody);
    } catch {
      return { status: 488, reason: 'Malformed SDP' };
    }
    const r = negotiateAnswer(offer, { address: deps.publicHost, port, codecs: answerCodecsAt(mediaRate), previous, username: 'switchboard' });
    if ('error' in r) return r.error;
    previous = r.answer;
    follow(r.media);
    return serializeSdp(r.answer);
  }

  const start = async (h: MediaEndpointHandle) => {
    switch (kind) {
      case 'echo':
        await h.echo(true);
        break;
      case 'tone':
        await h.play([TONE_1K], { loop: 0 });
        break;
      case 'playback': {
        await h.detect({ rfc4733: true, inband: true, vad: true }).catch(async (err: unknown) => {
          // VAD is optional (WASM module); DTMF detection must run regardless.
          log.warn({ err }, 'playback: VAD unavailable, detecting DTMF only');
          await h.detect({ rfc4733: true, inband: true, vad: false });
        });
        await h.play(PROMPT_LOOP, { loop: 0 });
        break;
      }
      case 'answer':
        break;
    }
  };

  const answer = async () => {
    if (ended || session.state === 'terminated') return;
    let h: MediaEndpointHandle;
    try {
      // The endpoint's media rate is fixed at creation: G.711 (8 kHz) unless the offer has only Opus (48 kHz).
      const spec = endpointSpecFor(session.offer?.body);
      mediaRate = spec.codec.clockRate;
      h = await deps.media.createEndpoint(spec);
    } catch (err) {
      log.warn({ err }, 'no media endpoint for the call');
      if (session.state === 'initial' || session.state === 'early') session.reject(503, 'Service Unavailable');
      return;
    }
    if (ended) {
      await h.close();
      return;
    }
    handle = h;
    h.on('dtmf', (ev) => {
      log.debug({ ...ev }, 'DTMF');
      deps.onDtmf?.(ev, callId);
    });
    deps.onEndpoint?.(h, callId, kind);
    const offer = session.offer;
    if (!offer || offer.body.length === 0) {
      // RFC 3261 §13.2.1: an offerless INVITE gets our offer in the 2xx; the ACK carries the answer.
      previous = createOffer({ address: deps.publicHost, port: h.localPort, codecs: ENGINE_CODECS, username: 'switchboard' });
      session.once('ack', (ack) => {
        if (ack.body.length === 0 || !previous) return;
        try {
          const m = applyAnswer(previous, parseSdp(ack.body));
          if ('error' in m) log.debug({ reason: m.error.reason }, 'unusable answer in ACK');
          else follow(m);
        } catch (err) {
          log.debug({ err }, 'malformed SDP in ACK');
        }
      });
      session.answer({ body: serializeSdp(previous), contentType: 'application/sdp' });
    } else {
      const sdp = answerTo(offer.body, h.localPort);
      if (typeof sdp !== 'string') {
        session.reject(sdp.status, sdp.reason);
        return;
      }
      session.answer({ body: sdp, contentType: 'application/sdp' });
    }
    await start(h).catch((err: unknown) => log.warn({ err }, 'diagnostic media failed to start'));
  };

  session.on('offer', (offer, reply) => {
    if (!handle) return reply.reject(500, 'Media Not Ready');
    const sdp = answerTo(offer.body, handle.localPort);
    if (typeof sdp === 'string') reply.accept(sdp);
    else reply.reject(sdp.status, sdp.reason);
  });

  // SIP INFO digits (application/dtmf-relay) join the endpoint's DTMF stream.
  session.on('info', (info) => {
    if (!handle || !/dtmf-relay/i.test(info.contentType ?? '')) return;
    const d = parseDtmfRelay(info.body.toString('utf8'));
    if (d) handle.injectDtmf(d.digit, 'info', d.durationMs).catch(() => {});
  });

  const hangup = numberParam(session, 'hangup');
  if (hangup !== undefined) {
    session.once('ack', () => {
      timers.push(deps.clock.setTimeout(() => {
        session.bye().catch((err: unknown) => log.debug({ err }, 'diagnostic target: BYE failed'));
      }, hangup));
    });
  }

  const run = () => {
    answer().catch((err: unknown) => {
      log.error({ err }, 'diagnostic target failed');
      if (session.state === 'initial' || session.state === 'early') session.reject(500, 'Server Internal Error');
    });
  };
  const ring = numberParam(session, 'ring');
  if (ring) {
    session.progress(180);
    timers.push(deps.clock.setTimeout(run, ring));
  } else {
    run();
  }
}
