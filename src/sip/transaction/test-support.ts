// Test fixtures for the transaction tests: an in-memory MessageSender that records what was
// sent, message factories that go through the real parser, and a layer on a FakeClock.
// Used by *.test.ts only.
import { FakeClock } from '../../lib/index.ts';
import type { SipMessage, SipRequest, SipResponse } from '../message/index.ts';
import { parseMessage } from '../message/index.ts';
import type { Destination, MessageSender, Source, TransportProtocol } from '../transport/types.ts';
import { TransactionLayer } from './transaction-layer.ts';
import type { TransactionLayerOptions } from './transaction-layer.ts';
import type { ServerTransaction } from './types.ts';

export interface Sent {
  msg: SipMessage;
  dest: Destination;
  at: number;
}

export class MemorySender implements MessageSender {
  readonly sent: Sent[] = [];
  /** How the next sends fail: 'throw' synchronously, 'reject' asynchronously, or not at all. */
  failure: 'none' | 'throw' | 'reject' = 'none';
  private readonly clock: FakeClock;

  constructor(clock: FakeClock) {
    this.clock = clock;
  }

  send(msg: SipMessage, dest: Destination): Promise<void> | void {
    this.sent.push({ msg, dest, at: this.clock.now() });
    if (this.failure === 'throw') throw new Error('network unreachable');
    if (this.failure === 'reject') return Promise.reject(new Error('connection refused'));
  }

  isReliable(protocol: TransportProtocol): boolean {
    return protocol !== 'UDP';
  }

  viaFor(dest: Destination): { host: string; port: number; protocol: TransportProtocol } {
    return { host: '192.0.2.1', port: 5060, protocol: dest.protocol };
  }

  requests(method?: string): SipRequest[] {
    return this.sent.map((s) => s.msg).filter((m): m is SipRequest => m.isRequest() && (method === undefined || m.method === method));
  }

  responses(status?: number): SipResponse[] {
    return this.sent.map((s) => s.msg).filter((m): m is SipResponse => !m.isRequest() && (status === undefined || (m as SipResponse).status === status));
  }

  /** Times at which messages matching `pred` were sent. */
  timesOf(pred: (m: SipMessage) => boolean): number[] {
    return this.sent.filter((s) => pred(s.msg)).map((s) => s.at);
  }
}

export const UDP_DEST: Destination = { protocol: 'UDP', address: '192.0.2.20', port: 5060 };
export const TCP_DEST: Destination = { protocol: 'TCP', address: '192.0.2.20', port: 5060, connectionId: 'c1' };

export function source(protocol: TransportProtocol = 'UDP', address = '198.51.100.7', port = 5070): Source {
  const s: Source = { protocol, address, port, localAddress: '192.0.2.1', localPort: 5060 };
  if (protocol !== 'UDP') s.connectionId = 'conn-1';
  return s;
}

export interface RequestSpec {
  method?: string;
  /** Top Via branch; default a fixed RFC 3261 branch. Pass '' for no branch (RFC 2543). */
  branch?: string;
  transport?: string;
  sentBy?: string;
  uri?: string;
  callId?: string;
  cseq?: number;
  cseqMethod?: string;
  fromTag?: string;
  toTag?: string;
  routes?: string[];
  extraVia?: string;
}

/** A request as it would come off the wire (parsed from text). */
export function request(spec: RequestSpec = {}): SipRequest {
  const method = spec.method ?? 'INVITE';
  const branch = spec.branch ?? 'z9hG4bK-test-1';
  const via = `SIP/2.0/${spec.transport ?? 'UDP'} ${spec.sentBy ?? '198.51.100.7:5070'}${branch ? `;branch=${branch}` : ''}`;
  const lines = [
    `${method} ${spec.uri ?? 'sip:bob@example.com'} SIP/2.0`,
    `Via: ${via}`,
    ...(spec.extraVia ? [`Via: ${spec.extraVia}`] : []),
    'Max-Forwards: 70',
    `From: "Alice" <sip:alice@example.org>;tag=${spec.fromTag ?? 'from-1'}`,
    `To: <sip:bob@example.com>${spec.toTag ? `;tag=${spec.toTag}` : ''}`,
    `Call-ID: ${spec.callId ?? 'call-1@example.org'}`,
    `CSeq: ${spec.cseq ?? 1} ${spec.cseqMethod ?? method}`,
    ...(spec.routes ?? []).map((r) => `Route: ${r}`),
    'Contact: <sip:alice@198.51.100.7:5070>',
    'Content-Length: 0',
    '', '',
  ];
  const msg = parseMessage(Buffer.from(lines.join('\r\n')));
  if (!msg.isRequest()) throw new Error('not a request');
  return msg;
}

/** A response to `req` as the peer would send it (parsed from text). */
export function response(req: SipRequest, status: number, reason = 'Reason', toTag: string | undefined = 'to-1'): SipResponse {
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const h of req.headers) if (h.name === 'via') lines.push(`Via: ${h.value}`);
  let to = req.get('to') ?? '';
  if (toTag !== undefined && status !== 100 && !/;tag=/.test(to)) to += `;tag=${toTag}`;
  lines.push(`From: ${req.get('from')}`, `To: ${to}`, `Call-ID: ${req.callId}`, `CSeq: ${req.get('cseq')}`, 'Content-Length: 0', '', '');
  const msg = parseMessage(Buffer.from(lines.join('\r\n')));
  if (msg.isRequest()) throw new Error('not a response');
  return msg;
}

/** What a layer emitted, in order. */
export interface Recorded {
  requests: { req: SipRequest; tx: ServerTransaction }[];
  acks: SipRequest[];
  cancels: { invite: ServerTransaction; cancel: SipRequest }[];
  strays: SipResponse[];
  errors: { tx: ServerTransaction; reason: string }[];
}

export function setup(opts: Partial<TransactionLayerOptions> = {}) {
  const clock = new FakeClock();
  const sender = new MemorySender(clock);
  const layer = new TransactionLayer({ sender, clock, ...opts });
  const seen: Recorded = { requests: [], acks: [], cancels: [], strays: [], errors: [] };
  layer.on('request', (req, tx) => seen.requests.push({ req, tx }));
  layer.on('ack', (req) => seen.acks.push(req));
  layer.on('cancel', (invite, cancel) => seen.cancels.push({ invite, cancel }));
  layer.on('strayResponse', (res) => seen.strays.push(res));
  layer.on('serverTransactionError', (tx, reason) => seen.errors.push({ tx, reason }));
  return { clock, sender, layer, seen };
}

/** Collects what a client transaction reports to its TU. */
export function handlers() {
  const h = {
    responses: [] as SipResponse[],
    timeouts: 0,
    transportErrors: [] as Error[],
    onResponse: (res: SipResponse) => { h.responses.push(res); },
    onTimeout: () => { h.timeouts++; },
    onTransportError: (err: Error) => { h.transportErrors.push(err); },
  };
  return h;
}

/** Let promise rejections (async transport errors) settle. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
