// The ACS media streaming dialect (vendor-apis.md A.7, A.8) as a StreamFramer: what an ACS bot's
// WebSocket server (the app's `transportUrl`) receives from ACS, and what it sends back.
//
//   connect headers  x-ms-call-correlation-id, x-ms-call-connection-id, Authorization: Bearer <JWT>
//                    (the same RS256 token as our callbacks, A.4; when a signer is given)
//   first frame      {"kind":"AudioMetadata","audioMetadata":{"subscriptionId","encoding":"PCM",
//                     "sampleRate":16000|24000,"channels":1,"length":640|960}}
//   each 20 ms       {"kind":"AudioData","audioData":{"timestamp":"<ISO 8601>","participantRawID":"4:+1…",
//                     "data":"<base64 PCM16LE>","silent":false}}   (participantRawID only when unmixed)
//   digits           {"kind":"DtmfData","dtmfData":{"data":"3"}}
//   app → us         {"kind":"audioData","audioData":{"data":"<b64>"}} | {"kind":"stopAudio"}; keys and
//                    the kind compared case-insensitively (the .NET SDK sends PascalCase).
// Connections with content 'transcription' are framed by ./transcription-frames.ts.
import type { Participant, StreamConnectRequest, TranscriptResult } from '../../core/index.ts';
import { bufferToPcm, pcmToBuffer, type InboundStreamMessage, type OutboundAudioFrame, type StreamFramer } from '../../events/index.ts';
import { rawIdOf } from './identifiers.ts';
import { transcriptionFrame, transcriptionOpen } from './transcription-frames.ts';

export interface AcsStreamFramerOptions {
  /** Bearer token for the connect request of `applicationId`'s stream; default none (no Authorization header). */
  sign?: (applicationId: string) => string;
}

/** The value of `key` in `o`, matching the key case-insensitively. */
function field(o: unknown, key: string): unknown {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return undefined;
  const rec = o as Record<string, unknown>;
  if (key in rec) return rec[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(rec)) if (k.toLowerCase() === lower) return rec[k];
  return undefined;
}

/** Parses what an ACS bot sends on a bidirectional stream; null when it is not audio or stopAudio. */
export function parseAcsInbound(data: string | Buffer): InboundStreamMessage | null {
  let msg: unknown;
  try {
    msg = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch {
    return null;
  }
  const kind = field(msg, 'kind');
  if (typeof kind !== 'string') return null;
  switch (kind.toLowerCase()) {
    case 'audiodata': {
      const b64 = field(field(msg, 'audioData'), 'data');
      if (typeof b64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return null;
      const samples = bufferToPcm(Buffer.from(b64, 'base64'));
      return samples.length > 0 ? { kind: 'audio', samples } : null;
    }
    case 'stopaudio':
      return { kind: 'stopAudio' };
    default:
      return null;
  }
}

export function acsStreamFramer(opts: AcsStreamFramerOptions = {}): StreamFramer {
  return {
    name: 'acs',
    headers(req: StreamConnectRequest): Record<string, string> {
      const meta = req.meta ?? {};
      return {
        'x-ms-call-correlation-id': meta.correlationId ?? req.callId,
        'x-ms-call-connection-id': meta.callConnectionId ?? req.callId,
        ...(opts.sign ? { authorization: `Bearer ${opts.sign(req.applicationId)}` } : {}),
      };
    },
    open(req: StreamConnectRequest, subscriptionId: string): string[] {
      if (req.content === 'transcription') return transcriptionOpen(req, subscriptionId);
      const sampleRate = req.audio?.rate ?? 16000;
      // `length`: bytes of one 20 ms frame of PCM16 mono.
      return [JSON.stringify({ kind: 'AudioMetadata', audioMetadata: { subscriptionId, encoding: 'PCM', sampleRate, channels: 1, length: (sampleRate / 50) * 2 } })];
    },
    audio(_req: StreamConnectRequest, f: OutboundAudioFrame): string {
      return JSON.stringify({
        kind: 'AudioData',
        audioData: {
          timestamp: new Date(f.timestampMs).toISOString(),
          ...(f.participant ? { participantRawID: rawIdOf(f.participant) } : {}),
          data: pcmToBuffer(f.samples).toString('base64'),
          silent: f.silent,
        },
      });
    },
    dtmf(req: StreamConnectRequest, digit: string, _participant?: Participant): string | null {
      if (req.content !== 'audio' || !req.audio?.dtmf) return null;
      return JSON.stringify({ kind: 'DtmfData', dtmfData: { data: digit } });
    },
    transcript(req: StreamConnectRequest, r: TranscriptResult): string | null {
      return req.content === 'transcription' ? transcriptionFrame(req, r) : null;
    },
    parse(data: string | Buffer): InboundStreamMessage | null {
      return parseAcsInbound(data);
    },
  };
}
