// RTP/RTCP packet handling: header parse/write, RTCP, reception statistics, pcap reading for tests.
export * from './rtp-packet.ts';
export * from './rtcp.ts';
export * from './receiver-stats.ts';
export * from './pcap-reader.ts';
