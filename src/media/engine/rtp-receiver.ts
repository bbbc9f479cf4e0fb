/**
 * The receive path of one RtpEndpoint (socket events, not the tick): parse the RTP header,
 * accept it only from the latched source (anti-hijack, rtp-latch.ts), count it, keep RFC 3550
 * receiver statistics (loss, jitter, SSRC changes), hand RFC 4733 telephone-events to the DTMF
 * detectors, and decode audio into the one adaptive jitter buffer that feeds every consumer.
 * It allocates nothing per packet (one subarray view only for packets longer than 20 ms) and
 * never sends anything.
 *
 * The endpoint keeps its configuration here current (`audioPt`, `tePt`, `receiving`, `codec`
 * change with re-offers) and reads the state it needs for the tick, stats and RTCP.
 */
import type { DtmfDetectors } from './dtmf-detectors.ts';
import type { EndpointCodec } from './endpoint-codec.ts';
import { JitterBuffer, type JitterBufferOptions } from '../jitter/index.ts';
import { ReceiverStats, RtpHeader, parseRtpHeader } from '../rtp/index.ts';
import { RtpLatch } from './rtp-latch.ts';

/** RFC 3551 §4.5.3: comfort noise. Tolerated and ignored. */
const PT_CN = 13;

export class RtpReceiver {
  readonly latch = new RtpLatch();
  readonly stats: ReceiverStats;
  readonly jb: JitterBuffer;
  /** SSRC of the current remote source. */
  remoteSsrc: number | undefined;
  /** When RTP (or comfort noise from the peer) last arrived, monotonic ms. */
  lastRtpMs: number;
  packetsIn = 0;
  bytesIn = 0;
  /** Comfort noise, unknown payload types and unparsable datagrams. */
  ignored = 0;
  ssrcChanges = 0;
  /** Negotiated audio payload type, telephone-event payload type (none: not negotiated), codec. */
  audioPt: number;
  tePt: number | undefined;
  codec: EndpointCodec;
  /** false while the direction is sendonly/inactive: packets are counted, not decoded. */
  receiving = true;
  private readonly header = new RtpHeader();
  /** Decoded payload of the packet being received (up to 120 ms), and a view of its first 20 ms. */
  private readonly decodeBuf: Int16Array;
  private readonly decodeFrameView: Int16Array;

  constructor(
    opts: { rate: number; frameSamples: number; jitter: JitterBufferOptions; codec: EndpointCodec; audioPt: number; tePt: number | undefined },
    private readonly detectors: DtmfDetectors,
    nowMs: number,
  ) {
    this.stats = new ReceiverStats({ clockRate: opts.rate });
    this.jb = new JitterBuffer(opts.jitter);
    this.decodeBuf = new Int16Array(opts.frameSamples * 6);
    this.decodeFrameView = this.decodeBuf.subarray(0, opts.frameSamples);
    this.codec = opts.codec;
    this.audioPt = opts.audioPt;
    this.tePt = opts.tePt;
    this.lastRtpMs = nowMs;
  }

  /** One datagram on the RTP port; true when it was accepted as our peer's RTP (audio or telephone-event). */
  receive(msg: Uint8Array, address: string, port: number, nowMs: number): boolean {
    const h = this.header;
    if (parseRtpHeader(msg, h) !== undefined) {
      this.ignored++;
      return false;
    }
    const pt = h.payloadType;
    const audio = pt === this.audioPt;
    const te = pt === this.tePt;
    if (!audio && !te) {
      // Comfort noise (PT 13) and anything unexpected: ignored, but CN from our peer still
      // proves it is alive (silence suppression must not trigger the RTP timeout).
      this.ignored++;
      const t = this.latch.target();
      if (pt === PT_CN && this.latch.state !== 'waiting' && t && t.address === address && t.port === port) this.lastRtpMs = nowMs;
      return false;
    }
    if (this.latch.check(address, port, nowMs) === 'reject') return false;
    this.packetsIn++;
    this.bytesIn += msg.length;
    this.lastRtpMs = nowMs;
    if (this.remoteSsrc !== h.ssrc) {
      // A new source (restart, re-INVITE to another box, DTMF from a different generator): start over.
      if (this.remoteSsrc !== undefined) this.ssrcChanges++;
      this.remoteSsrc = h.ssrc;
    }
    this.stats.update(h.ssrc, h.sequenceNumber, h.timestamp, nowMs);
    if (!this.receiving) return true;
    if (te) {
      this.detectors.onTelephoneEvent(h.timestamp, h.marker, msg.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength), nowMs);
      return true;
    }
    const buf = this.decodeBuf;
    const n = this.codec.decode(msg, h.payloadOffset, h.payloadLength, buf);
    if (n === 0) return true;
    // The common packet (one 20 ms frame) goes in without creating a view.
    const pcm = n === this.decodeFrameView.length ? this.decodeFrameView : buf.subarray(0, n);
    this.jb.put(h.sequenceNumber, h.timestamp, pcm, nowMs, h.ssrc);
    return true;
  }
}
