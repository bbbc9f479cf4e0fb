/**
 * The RTCP side of one RtpEndpoint (RFC 3550 §6): when a report is due, what it holds (SR when
 * we have sent, else RR; one report block about the peer; SDES CNAME; BYE when closing), which
 * port it goes to, and what received SR/RR reports tell us (round-trip time, the peer's view of
 * our stream). It owns no socket and no timer: the endpoint calls `tick(now)` from its outbound
 * phase, hands over received RTCP with `receive()`, and performs the datagram send itself
 * (it knows whether its RTP socket is connected). Everything else it needs from the endpoint
 * comes through {@link RtcpEndpointView}.
 */
import { ReceiverStats, buildRtcp, ntpFromUnixMs, ntpMiddleFromUnixMs, parseRtcp, roundTripMs, type RtcpPacket } from '../rtp/index.ts';
import type { LatchState, RemoteSpec } from './endpoint-types.ts';

/** RFC 3550 §6.2: the (minimum) report interval we use, ms. */
export const RTCP_INTERVAL_MS = 5000;

/** What the session reads from its endpoint (RtpEndpoint implements it with closures over its state). */
export interface RtcpEndpointView {
  readonly ssrc: number;
  readonly cname: string;
  /** RTP and RTCP share one port (RFC 5761) on our side. */
  readonly rtcpMux: boolean;
  /** Where RTP goes (the latch target), if anywhere. */
  target(): { address: string; port: number } | undefined;
  latchState(): LatchState;
  remote(): RemoteSpec | undefined;
  remoteSsrc(): number | undefined;
  readonly stats: ReceiverStats;
  /** RTP packets and bytes (headers included) sent so far, and the timestamp of the next packet. */
  sentPackets(): number;
  sentBytes(): number;
  rtpTimestamp(): number;
  clockRate(): number;
  wallNow(): number;
  /** Send one RTCP datagram to `address:port`; false if it could not leave (socket closing, connected elsewhere). */
  sendDatagram(buf: Buffer, port: number, address: string, sent?: () => void): boolean;
}

export class RtcpSession {
  rtcpIn = 0;
  rtcpOut = 0;
  /** Round-trip time from the last report block about us, ms. */
  rtt: number | undefined;
  /** The peer's last report block about our stream. */
  remoteLost: number | undefined;
  remoteJitterMs: number | undefined;
  private nextMs: number;

  /** `intervalMs`: mean report interval, randomized 0.5–1.5× per report. Default RTCP_INTERVAL_MS. */
  constructor(private readonly ep: RtcpEndpointView, nowMs: number, private readonly intervalMs = RTCP_INTERVAL_MS) {
    this.nextMs = nowMs + this.intervalMs * (0.5 + Math.random());
  }

  /** Called on each outbound tick: sends a report when one is due. */
  tick(nowMs: number): void {
    if (nowMs < this.nextMs) return;
    // RFC 3550 §6.2: randomize the interval (0.5–1.5 ×) so reports of many calls do not align.
    this.nextMs = nowMs + this.intervalMs * (0.5 + Math.random());
    if (this.ep.target()) this.send(false);
  }

  /** A datagram that arrived on the RTCP port (or, with rtcp-mux, was recognized as RTCP on the RTP port). */
  receive(msg: Buffer, address: string): void {
    const target = this.ep.target();
    if (!target || address !== target.address) return;
    let packets: RtcpPacket[];
    try {
      packets = parseRtcp(msg);
    } catch {
      return;
    }
    this.rtcpIn++;
    const now = this.ep.wallNow();
    const remoteSsrc = this.ep.remoteSsrc();
    for (const p of packets) {
      if (p.type !== 'sr' && p.type !== 'rr') continue;
      if (p.type === 'sr' && p.ssrc === remoteSsrc) this.ep.stats.onSenderReport(p.ntpMsw, p.ntpLsw, now);
      for (const b of p.reports) {
        if (b.ssrc !== this.ep.ssrc) continue;
        // RFC 3550 §6.4.1: RTT = A − LSR − DLSR.
        const rtt = roundTripMs(ntpMiddleFromUnixMs(now), b.lsr, b.dlsr);
        if (rtt !== undefined) this.rtt = rtt;
        this.remoteLost = b.cumulativeLost;
        this.remoteJitterMs = (b.jitter * 1000) / this.ep.clockRate();
      }
    }
  }

  /** RFC 3550 §6.4: SR when we have sent, else RR; one report block about the peer; SDES CNAME (§6.1); BYE when closing. */
  send(bye: boolean, sent?: () => void): boolean {
    const ep = this.ep;
    const target = ep.target();
    if (!target) return false;
    const wall = ep.wallNow();
    const reports = ep.remoteSsrc() !== undefined && ep.stats.received > 0 ? [ep.stats.report(wall)] : [];
    const packets: RtcpPacket[] = [];
    const sentPackets = ep.sentPackets();
    if (sentPackets > 0) {
      const ntp = ntpFromUnixMs(wall);
      packets.push({ type: 'sr', ssrc: ep.ssrc, ntpMsw: ntp.msw, ntpLsw: ntp.lsw, rtpTimestamp: ep.rtpTimestamp(), packetCount: sentPackets, octetCount: ep.sentBytes() - 12 * sentPackets, reports });
    } else {
      packets.push({ type: 'rr', ssrc: ep.ssrc, reports });
    }
    packets.push({ type: 'sdes', chunks: [{ ssrc: ep.ssrc, items: [{ type: 1, text: ep.cname }] }] });
    if (bye) packets.push({ type: 'bye', ssrcs: [ep.ssrc] });
    const remote = ep.remote();
    // RFC 3550 §11: RTCP on RTP port + 1 unless signaled otherwise (RFC 3605) or muxed (RFC 5761).
    let port: number;
    if (ep.rtcpMux || remote?.rtcpMux) port = target.port;
    else if (ep.latchState() === 'latched' || remote?.rtcpPort === undefined) port = target.port + 1;
    else port = remote.rtcpPort;
    if (!ep.sendDatagram(buildRtcp(packets), port, target.address, sent)) return false;
    this.rtcpOut++;
    return true;
  }
}
