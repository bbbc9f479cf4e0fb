// StreamFramer: how one dialect ('native', 'acs' …) puts a media stream on the wire. The
// WebSocket client (media-streamer.ts) owns connecting, pacing and shedding; a framer only turns
// call audio, digits and transcripts into messages and the application's messages back into
// audio or stopAudio. Faces write framers and the server hands them to createMediaStreamer, so
// no vendor JSON lives in src/events and no WebSocket code lives in a face.
//
// A framer must never throw on what the application sends: parse() returns null for a message it
// does not understand (the client counts it and goes on).
import { endianness } from 'node:os';
import type { Participant, StreamConnectRequest, TranscriptResult } from '../../core/index.ts';

/** What the application sent, decoded. */
export type InboundStreamMessage = { kind: 'audio'; samples: Int16Array } | { kind: 'stopAudio' };

/** One frame of call audio as the framer receives it. */
export interface OutboundAudioFrame {
  /** PCM 16-bit mono at req.audio.rate. */
  samples: Int16Array;
  /** Whose audio (unmixed streams); undefined for a mixed stream. */
  participant?: Participant;
  /** Wall-clock time of the frame, ms since the epoch. */
  timestampMs: number;
  /** Every sample is zero. */
  silent: boolean;
}

export interface StreamFramer {
  /** The `format` it serves: 'native' | 'acs' … */
  readonly name: string;
  /** Extra WebSocket handshake headers (auth, correlation ids); default none. */
  headers?(req: StreamConnectRequest): Promise<Record<string, string>> | Record<string, string>;
  /** The first message(s), sent once the socket opens. */
  open(req: StreamConnectRequest, subscriptionId: string): string[];
  audio(req: StreamConnectRequest, f: OutboundAudioFrame): string | Buffer;
  /** null = this dialect does not carry digits. */
  dtmf(req: StreamConnectRequest, digit: string, participant?: Participant): string | null;
  /** null = this dialect does not carry transcripts on this connection. */
  transcript(req: StreamConnectRequest, r: TranscriptResult): string | null;
  /** null = not understood (counted, ignored). */
  parse(data: string | Buffer, req: StreamConnectRequest): InboundStreamMessage | null;
}

/** Whether this host stores an Int16 little-endian (then the wire bytes are the memory bytes). */
const HOST_LE = endianness() === 'LE';

/**
 * Little-endian PCM16 bytes of `samples` (the wire order of every dialect we speak). One copy of
 * the samples' memory (a per-sample writeInt16LE loop was 10× slower per frame); a copy, not a
 * view, because framers' callers may queue the result while the tap reuses `samples`.
 */
export function pcmToBuffer(samples: Int16Array): Buffer {
  const b = Buffer.from(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
  if (!HOST_LE) b.swap16();
  return b;
}

/** Samples of little-endian PCM16 bytes (an odd trailing byte is ignored); one copy, any alignment of `b`. */
export function bufferToPcm(b: Uint8Array): Int16Array {
  const n = b.length >> 1;
  const out = new Int16Array(n);
  const bytes = new Uint8Array(out.buffer, 0, n * 2);
  bytes.set(b.subarray(0, n * 2));
  if (!HOST_LE) Buffer.from(out.buffer, 0, n * 2).swap16();
  return out;
}
