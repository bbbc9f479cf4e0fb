// Codec knowledge for offer/answer: the static RTP payload types of RFC 3551 §6 (usable
// without an rtpmap), the codecs the media engine is expected to announce, and how to read and
// compare the codecs of an m-line. Which codecs we actually support is the caller's to say.

import { mediaView, type MediaView } from './media-view.ts';
import type { Codec, MediaDescription } from './types.ts';

/** RFC 3551 §6 Table 4 (audio) and Table 5 (video): payload types assigned statically. */
export const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, Readonly<Codec>> = new Map(
  ([
    [0, 'PCMU', 8000], [3, 'GSM', 8000], [4, 'G723', 8000], [5, 'DVI4', 8000], [6, 'DVI4', 16000],
    [7, 'LPC', 8000], [8, 'PCMA', 8000],
    // RFC 3551 §4.5.2: G722's RTP clock rate is 8000 although it samples at 16 kHz.
    [9, 'G722', 8000], [10, 'L16', 44100, 2], [11, 'L16', 44100], [12, 'QCELP', 8000], [13, 'CN', 8000],
    [14, 'MPA', 90000], [15, 'G728', 8000], [16, 'DVI4', 11025], [17, 'DVI4', 22050], [18, 'G729', 8000],
    [25, 'CelB', 90000], [26, 'JPEG', 90000], [28, 'nv', 90000], [31, 'H261', 90000], [32, 'MPV', 90000],
    [33, 'MP2T', 90000], [34, 'H263', 90000],
  ] as [number, string, number, number?][]).map(([payloadType, name, clockRate, channels]) => [
    payloadType, { name, clockRate, channels: channels ?? 1, payloadType },
  ]),
);

/**
 * Codecs the media engine is expected to support, with the payload types we offer them on.
 * Dynamic numbers follow common practice (101 telephone-event as Asterisk/baresip, 111 opus as
 * browsers); in answers the offerer's numbers are used instead.
 */
export const WELL_KNOWN_CODECS = {
  PCMU: { name: 'PCMU', clockRate: 8000, channels: 1, payloadType: 0 },
  PCMA: { name: 'PCMA', clockRate: 8000, channels: 1, payloadType: 8 },
  // RFC 4733 §7.1.1: events 0-15 are the DTMF digits; 16 is flash, widely offered too.
  telephoneEvent: { name: 'telephone-event', clockRate: 8000, channels: 1, payloadType: 101, fmtp: '0-16' },
  L16_8000: { name: 'L16', clockRate: 8000, channels: 1, payloadType: 118 },
  L16_16000: { name: 'L16', clockRate: 16000, channels: 1, payloadType: 119 },
  opus: { name: 'opus', clockRate: 48000, channels: 2, payloadType: 111, fmtp: 'minptime=10;useinbandfec=1' },
} as const satisfies Record<string, Codec>;

/** Same codec: name (case-insensitive), clock rate and channel count (default 1). */
export function sameCodec(a: Codec, b: Codec): boolean {
  return a.clockRate === b.clockRate && (a.channels ?? 1) === (b.channels ?? 1) && a.name.toLowerCase() === b.name.toLowerCase();
}

/** Not a media codec: DTMF events, comfort noise, redundancy and FEC wrappers. */
export function isAuxiliaryCodec(c: Codec): boolean {
  const n = c.name.toLowerCase();
  return n === 'telephone-event' || n === 'cn' || n === 'red' || n === 'ulpfec' || n === 'flexfec-03' || n === 'rtx';
}

/**
 * The codecs of an RTP m-line in its format order: rtpmap when present, else the static table.
 * Formats that are neither (a dynamic type without rtpmap, non-RTP tokens) are left out.
 */
export function codecsOf(m: MediaDescription, view: MediaView = mediaView(m)): Codec[] {
  const out: Codec[] = [];
  for (const f of m.formats) {
    const pt = Number(f);
    if (!Number.isInteger(pt) || pt < 0 || pt > 127) continue;
    const r = view.rtpmap.get(pt);
    let c: Codec | undefined;
    if (r) c = { name: r.encoding, clockRate: r.clockRate, channels: r.channels ?? 1, payloadType: pt };
    else {
      const s = STATIC_PAYLOAD_TYPES.get(pt);
      if (s) c = { ...s };
    }
    if (!c) continue;
    const fmtp = view.fmtp.get(pt);
    if (fmtp !== undefined) c.fmtp = fmtp;
    out.push(c);
  }
  return out;
}

/** `PCMU/8000`, `opus/48000/2` — for logs and error reasons. */
export function codecLabel(c: Codec): string {
  return (c.channels ?? 1) === 1 ? `${c.name}/${c.clockRate}` : `${c.name}/${c.clockRate}/${c.channels}`;
}
