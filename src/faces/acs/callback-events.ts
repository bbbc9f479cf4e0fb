// DomainEvent → ACS callback (vendor-apis.md A.4): a JSON array holding ONE CloudEvent 1.0
// (the SDK's parseCallAutomationEvent reads only element [0]), type
// "Microsoft.Communication.<Name>", data with callConnectionId, serverCallId, correlationId,
// operationContext and resultInformation {code, subCode, message}. Core events that ACS has no
// callback for (call.ringing, cancelAllMediaOperations.completed …) format to null: nothing
// is sent. This is the 'acs' formatter of the webhook delivery engine.
import type { DomainEvent } from '../../core/index.ts';
import { SUBCODE } from '../../core/index.ts';
import { CALLBACK_MAPPERS } from './callbacks/index.ts';
import { toIdentifier, toneName } from './identifiers.ts';

export const ACS_FORMAT = 'acs';

/** serverCallId as ACS shows it: opaque base64 (ours wraps the Switchboard call id). */
export const serverCallIdOf = (callId: string): string => Buffer.from(`sb:${callId}`).toString('base64');

/** Subcodes Switchboard emits without an ACS equivalent start here (10000 + core subcode). */
export const SWITCHBOARD_SUBCODE_BASE = 10_000;

interface CoreResult { code: number; subcode: number; message: string }

/**
 * Core subcode → ACS resultInformation {code, subCode}. ACS's own catalogue for the ones it
 * documents (8531 max tones, 8514 stop tone, 8532 inter-digit timeout, 8510 initial silence,
 * 8508 cancelled, 8545/8547 choice matched/not, 8536 play source failed); otherwise core's
 * code with 0 (success) or SWITCHBOARD_SUBCODE_BASE (10000) + core subcode — above ACS's own
 * 4-digit range (it defines 9001–9003, 9998, 9999), so a bot never mistakes ours for one of
 * Azure's — and every value is stable. See docs/faces/acs.md.
 */
export function resultInformation(r: CoreResult | undefined, fallbackMessage: string): { code: number; subCode: number; message: string } {
  if (!r) return { code: 200, subCode: 0, message: fallbackMessage };
  const map: Partial<Record<number, [number, number]>> = {
    [SUBCODE.OK]: [200, 0],
    [SUBCODE.MAX_TONES]: [200, 8531],
    [SUBCODE.STOP_TONE]: [200, 8514],
    [SUBCODE.INTER_DIGIT_TIMEOUT]: [200, 8532],
    [SUBCODE.SPEECH_RECOGNIZED]: [200, 8545],
    [SUBCODE.INITIAL_SILENCE_TIMEOUT]: [400, 8510],
    [SUBCODE.NO_MATCH]: [400, 8547],
    [SUBCODE.CANCELLED]: [400, 8508],
    [SUBCODE.CALL_ENDED]: [400, 8508],
    [SUBCODE.MEDIA_FAILED]: [500, 8536],
    [SUBCODE.NO_ANSWER]: [480, 8541],
    [SUBCODE.BUSY]: [486, 8539],
    [SUBCODE.PEER_REJECTED]: [603, 8538],
    [SUBCODE.INVITATION_NOT_FOUND]: [404, 8522],
  };
  const m = map[r.subcode];
  return { code: m?.[0] ?? r.code, subCode: m?.[1] ?? SWITCHBOARD_SUBCODE_BASE + r.subcode, message: r.message };
}

/** An ACS callback built from a core event: its type (without the prefix) and its data. */
export type AcsCallback = { type: string; data: Record<string, unknown> } | null;
type Built = AcsCallback;

/** Builds resultInformation from the event's core result (or a success with `msg`). */
export type ResultOf = (msg: string) => Record<string, unknown>;

/**
 * Maps one core event type family onto ACS callbacks; null = not this mapper's. Each area of
 * the face (participants, recording, streaming, transcription) has its own mapper module in
 * ./callbacks/, tried after the call/media mapper below.
 */
export type CallbackMapper = (e: DomainEvent, res: ResultOf) => AcsCallback;

function map(e: DomainEvent, res: ResultOf): Built {
  const d = e.data as Record<string, unknown> & { result?: CoreResult };
  switch (e.type) {
    case 'call.answered': return { type: 'CallConnected', data: res('The call is connected.') };
    case 'call.ended': return { type: 'CallDisconnected', data: { resultInformation: { code: 200, subCode: 0, message: `The call ended: ${String(d.reason)} (by ${String(d.by)}).` } } };
    case 'createCall.failed': return { type: 'CreateCallFailed', data: res('') };
    case 'answer.failed': return { type: 'AnswerFailed', data: res('') };
    case 'transfer.accepted': {
      const target = d.target as Parameters<typeof toIdentifier>[0] | undefined;
      return { type: 'CallTransferAccepted', data: { ...res('The transfer was accepted.'), ...(target ? { transferTarget: toIdentifier(target) } : {}) } };
    }
    case 'transfer.failed': return { type: 'CallTransferFailed', data: res('') };
    case 'play.started': return { type: 'PlayStarted', data: res('Play started.') };
    case 'play.completed': return { type: 'PlayCompleted', data: res('Action completed successfully.') };
    case 'play.failed': return { type: 'PlayFailed', data: { ...res(''), failedPlaySourceIndex: 0 } };
    case 'play.cancelled': return { type: 'PlayCanceled', data: res('') };
    case 'recognize.completed': {
      if (typeof d.speech === 'string') {
        return { type: 'RecognizeCompleted', data: { ...res(''), recognitionType: 'speech', speechResult: { speech: d.speech, ...(typeof d.confidence === 'number' ? { confidence: d.confidence } : {}) } } };
      }
      if (typeof d.choice === 'string') {
        return { type: 'RecognizeCompleted', data: { ...res(''), recognitionType: 'choices', choiceResult: { label: d.choice, ...(typeof d.phrase === 'string' ? { recognizedPhrase: d.phrase } : {}), ...(typeof d.confidence === 'number' ? { confidence: d.confidence } : {}) } } };
      }
      const tones = Array.isArray(d.tones) ? (d.tones as string[]).map(toneName) : [];
      return { type: 'RecognizeCompleted', data: { ...res(''), recognitionType: 'dtmf', dtmfResult: { tones } } };
    }
    case 'recognize.failed': return { type: 'RecognizeFailed', data: { ...res(''), failedPlaySourceIndex: 0 } };
    case 'recognize.cancelled': return { type: 'RecognizeCanceled', data: res('') };
    case 'dtmf.received': return { type: 'ContinuousDtmfRecognitionToneReceived', data: { ...res('Tone received.'), tone: toneName(String(d.digit)), sequenceId: d.sequence } };
    case 'sendDtmf.completed': return { type: 'SendDtmfTonesCompleted', data: res('') };
    case 'sendDtmf.failed': return { type: 'SendDtmfTonesFailed', data: res('') };
    default: return null;
  }
}

/** The 'acs' delivery formatter: one CloudEvent in an array, or null (no ACS equivalent). */
export function acsFormatter(e: DomainEvent): string | null {
  const d = e.data as { result?: CoreResult };
  const res: ResultOf = (msg) => ({ resultInformation: resultInformation(d.result, msg) });
  let m = map(e, res);
  for (const f of CALLBACK_MAPPERS) {
    if (m) break;
    m = f(e, res);
  }
  if (!m || e.callId === undefined) return null;
  const src = `calling/callConnections/${e.callId}`;
  const op = (e.data as { operationContext?: unknown }).operationContext;
  return JSON.stringify([{
    id: e.id, source: src, subject: src, type: `Microsoft.Communication.${m.type}`, time: e.occurredAt,
    specversion: '1.0', datacontenttype: 'application/json',
    data: { callConnectionId: e.callId, serverCallId: serverCallIdOf(e.callId), correlationId: e.callId, ...(typeof op === 'string' ? { operationContext: op } : {}), ...m.data },
  }]);
}
