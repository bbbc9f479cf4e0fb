/**
 * An RtpEndpoint's counters, gathered from its parts into the EndpointStats the worker reports
 * (getStats, load reports, the call's media quality at hang-up). Read on request, never per tick.
 */
import type { EndpointStats } from './endpoint-types.ts';
import type { RtcpSession } from './rtcp-session.ts';
import type { RtpLatch } from './rtp-latch.ts';
import type { RtpReceiver } from './rtp-receiver.ts';
import type { RtpSender } from './rtp-sender.ts';

export interface EndpointCounters {
  rx: RtpReceiver;
  tx: RtpSender;
  latch: RtpLatch;
  rtcp: RtcpSession;
  /** The media clock rate (RFC 3550 interarrival jitter is in its units). */
  clockRate: number;
  silenceFrames: number;
  streamDropped: number;
}

export function endpointStats(c: EndpointCounters): EndpointStats {
  const { rx, tx, latch, rtcp } = c;
  const target = latch.target();
  const j = rx.jb.stats();
  return {
    packetsIn: rx.packetsIn, bytesIn: rx.bytesIn, packetsOut: tx.packetsOut, bytesOut: tx.bytesOut,
    lost: Math.max(0, rx.stats.cumulativeLost),
    jitterMs: (rx.stats.jitter * 1000) / c.clockRate,
    ...(rtcp.rtt !== undefined ? { rttMs: rtcp.rtt } : {}),
    ...(rtcp.remoteLost !== undefined ? { remoteLost: rtcp.remoteLost } : {}),
    ...(rtcp.remoteJitterMs !== undefined ? { remoteJitterMs: rtcp.remoteJitterMs } : {}),
    latch: latch.state,
    ...(target ? { sendingTo: target } : {}),
    rejectedPackets: latch.rejected,
    ignoredPackets: rx.ignored,
    ssrcChanges: rx.ssrcChanges,
    rtcpIn: rtcp.rtcpIn, rtcpOut: rtcp.rtcpOut,
    silenceFrames: c.silenceFrames,
    jitterBuffer: { delayMs: j.delayMs, targetMs: j.targetMs, lost: j.lost, concealed: j.concealed, late: j.late, dropped: j.dropped, underruns: j.underruns },
    streamDropped: c.streamDropped,
  };
}
