// SIP message parser/serializer throughput on one core (no I/O): what one node's signaling
// thread can afford per message. Run: node --import tsx bench/sip-parser.bench.ts [N]
// Prints msgs/s for parse (INVITE with SDP, 200 OK), parse + the fields the transaction
// layer reads (top Via branch, CSeq, Call-ID, From tag, To tag), and serialize.
import os from 'node:os';
import { parseMessage, serialize } from '../src/sip/message/index.ts';
import type { SipMessage } from '../src/sip/message/index.ts';

const N = Number(process.argv[2] ?? 200_000);

const SDP = 'v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=Talk\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n'
  + 'm=audio 7078 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n'
  + 'a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n';
const INVITE = Buffer.from([
  'INVITE sip:bot@switchboard.example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK.hSYt3oQ1A;rport',
  'From: "Alice" <sip:alice@example.com>;tag=u6Kq5pDyy',
  'To: <sip:bot@switchboard.example.com>',
  'CSeq: 20 INVITE',
  'Call-ID: Rj2kSq9ZkE',
  'Max-Forwards: 70',
  'Supported: replaces, outbound, gruu, path',
  'Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO, PRACK, UPDATE',
  'Content-Type: application/sdp',
  `Content-Length: ${Buffer.byteLength(SDP)}`,
  'Contact: <sip:alice@192.0.2.10;transport=udp>;+sip.instance="<urn:uuid:5ba6b7c4-2d11-4d0c-9b57-1e6b1c1a5e27>"',
  'User-Agent: Linphone/5.2.0 (belle-sip/5.2.0)',
  '',
  SDP,
].join('\r\n'));
const OK = Buffer.from([
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK.hSYt3oQ1A;rport=5060;received=198.51.100.7',
  'From: "Alice" <sip:alice@example.com>;tag=u6Kq5pDyy',
  'To: <sip:bot@switchboard.example.com>;tag=sb-83bd1',
  'Call-ID: Rj2kSq9ZkE',
  'CSeq: 20 INVITE',
  'Contact: <sip:bot@203.0.113.5:5060>',
  'Content-Type: application/sdp',
  `Content-Length: ${Buffer.byteLength(SDP)}`,
  '',
  SDP,
].join('\r\n'));

let sink = 0;
function run(name: string, n: number, f: (i: number) => void): void {
  for (let i = 0; i < Math.min(n, 20_000); i++) f(i); // warm-up: let the JIT settle
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f(i);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  // CPU time too: on a shared machine wall time also counts the time others held the core.
  const cpu = (c.user + c.system) / 1e6;
  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(10);
  console.log(`${name.padEnd(44)} ${fmt(n / s)} msgs/s wall  ${fmt(n / cpu)} msgs/s per CPU-second  (${(s * 1e9 / n).toFixed(0)} ns/msg wall)`);
}

const both = [INVITE, OK];
const access = (m: SipMessage): void => {
  sink += (m.topVia?.branch?.length ?? 0) + (m.cseq?.seq ?? 0) + (m.callId?.length ?? 0)
    + (m.fromTag?.length ?? 0) + (m.toTag?.length ?? 0);
};
console.log(`node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, N=${N} per line, ${INVITE.length}-byte INVITE, ${OK.length}-byte 200 OK`);
run('parse INVITE (with SDP)', N, () => { sink += parseMessage(INVITE, { datagram: true }).headers.length; });
run('parse 200 OK (with SDP)', N, () => { sink += parseMessage(OK, { datagram: true }).headers.length; });
run('parse INVITE/200 alternating', N, (i) => { sink += parseMessage(both[i & 1], { datagram: true }).headers.length; });
run('parse + Via/CSeq/Call-ID/From-tag/To-tag', N, (i) => access(parseMessage(both[i & 1], { datagram: true })));
const parsed = both.map((b) => parseMessage(b, { datagram: true }));
run('serialize INVITE/200 alternating', N, (i) => { sink += serialize(parsed[i & 1]).length; });
if (sink === 42) console.log(''); // keep the work observable
