// Switchboard's own media streaming dialect (docs/streaming.md), as a StreamFramer. Plain JSON
// text messages, one per event, so any WebSocket library reads it without a schema:
//
//   first    {"type":"start","streamId","callId","subscriptionId","content":"audio"|"transcription",
//             "audio":{"encoding":"pcm16le","rate":16000|24000,"channels":"mixed"|"unmixed",
//                      "bidirectional":bool,"dtmf":bool}, "locale"?}
//   audio    {"type":"audio","timestamp":"<ISO 8601>","participant"?:{kind,…},"silent":bool,
//             "data":"<base64 PCM16LE, 20 ms>"}
//   digit    {"type":"dtmf","digit":"5","participant"?:{kind,…}}
//   text     {"type":"transcript","text","final","confidence"?,"offsetMs","durationMs","words"?,"participant"?}
//   app → us {"type":"audio","data":"<base64 PCM16LE at the stream rate>"} or a BINARY message of raw
//            PCM16LE; {"type":"stopAudio"} drops what is queued (barge-in).
import type { StreamConnectRequest, TranscriptResult, Participant } from '../../core/index.ts';
import { bufferToPcm, pcmToBuffer, type InboundStreamMessage, type OutboundAudioFrame, type StreamFramer } from '../../events/index.ts';

export function parseNativeInbound(data: string | Buffer): InboundStreamMessage | null {
  if (Buffer.isBuffer(data)) {
    const samples = bufferToPcm(data);
    return samples.length > 0 ? { kind: 'audio', samples } : null;
  }
  let m: unknown;
  try {
    m = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof m !== 'object' || m === null) return null;
  const o = m as Record<string, unknown>;
  if (o.type === 'stopAudio') return { kind: 'stopAudio' };
  if (o.type === 'audio' && typeof o.data === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(o.data)) {
    const samples = bufferToPcm(Buffer.from(o.data, 'base64'));
    return samples.length > 0 ? { kind: 'audio', samples } : null;
  }
  return null;
}

export const nativeStreamFramer: StreamFramer = {
  name: 'native',
  open(req: StreamConnectRequest, subscriptionId: string): string[] {
    return [JSON.stringify({
      type: 'start', streamId: req.meta?.streamId ?? subscriptionId, callId: req.callId, subscriptionId, content: req.content,
      ...(req.audio ? { audio: { encoding: 'pcm16le', ...req.audio } } : {}),
      ...(req.transcription ? { locale: req.transcription.locale } : {}),
    })];
  },
  audio(_req: StreamConnectRequest, f: OutboundAudioFrame): string {
    return JSON.stringify({
      type: 'audio', timestamp: new Date(f.timestampMs).toISOString(), ...(f.participant ? { participant: f.participant } : {}),
      silent: f.silent, data: pcmToBuffer(f.samples).toString('base64'),
    });
  },
  dtmf(req: StreamConnectRequest, digit: string, participant?: Participant): string | null {
    if (!req.audio?.dtmf) return null;
    return JSON.stringify({ type: 'dtmf', digit, ...(participant ? { participant } : {}) });
  },
  transcript(_req: StreamConnectRequest, r: TranscriptResult): string {
    return JSON.stringify({ type: 'transcript', ...r });
  },
  parse(data: string | Buffer): InboundStreamMessage | null {
    return parseNativeInbound(data);
  },
};
