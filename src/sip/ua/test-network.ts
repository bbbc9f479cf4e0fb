// Test fixture (used by *.test.ts only): UserAgents on real TransactionLayers joined by an
// in-memory "UDP" network. Every message is serialized and parsed again, so the tests run the
// real bytes; delivery is asynchronous (setImmediate) like a socket, and timers run on a
// FakeClock. `drop` lets a test lose messages to exercise retransmission paths.
import { FakeClock } from '../../lib/index.ts';
import { parseMessage, serialize } from '../message/index.ts';
import type { SipMessage, SipRequest, SipResponse } from '../message/index.ts';
import { TransactionLayer } from '../transaction/index.ts';
import type { Destination, MessageSender, TransportProtocol } from '../transport/index.ts';
import { stampVia } from '../transport/index.ts';
import { UserAgent } from './user-agent.ts';
import type { UserAgentOptions } from './user-agent.ts';

export interface Wire {
  from: string;
  to: string;
  msg: SipMessage;
  at: number;
}

export class TestNetwork {
  readonly clock = new FakeClock(1_000_000);
  readonly wire: Wire[] = [];
  private readonly nodes = new Map<string, TransactionLayer>();
  /** Return true to lose a message. */
  drop: (msg: SipMessage, from: string, to: string) => boolean = () => false;

  node(address: string, opts: Partial<UserAgentOptions> = {}): UserAgent {
    const port = 5060;
    const self = `${address}:${port}`;
    const sender: MessageSender = {
      send: (msg: SipMessage, dest: Destination) => {
        const to = `${dest.address}:${dest.port}`;
        this.wire.push({ from: self, to, msg, at: this.clock.now() });
        if (this.drop(msg, self, to)) return;
        const bytes = serialize(msg);
        setImmediate(() => {
          const target = this.nodes.get(to);
          if (!target) return;
          const parsed = parseMessage(bytes, { datagram: true });
          if (parsed.isRequest()) stampVia(parsed, address, port);
          target.receive(parsed, { protocol: 'UDP', address, port, localAddress: dest.address, localPort: dest.port });
        });
      },
      isReliable: (p: TransportProtocol) => p !== 'UDP',
      viaFor: (dest: Destination) => ({ host: address, port, protocol: dest.protocol }),
    };
    const transactions = new TransactionLayer({ sender, clock: this.clock, timers: opts.timers });
    this.nodes.set(self, transactions);
    return new UserAgent({ transactions, transport: sender, clock: this.clock, ...opts });
  }

  /** Deliver raw bytes to a node as if sent by `from` (a host with no node: replies land on the wire only). */
  inject(to: string, raw: string, from = '10.0.0.9'): void {
    const target = this.nodes.get(`${to}:5060`);
    if (!target) throw new Error(`no node ${to}`);
    const parsed = parseMessage(Buffer.from(raw), { datagram: true });
    if (parsed.isRequest()) stampVia(parsed, from, 5060);
    target.receive(parsed, { protocol: 'UDP', address: from, port: 5060, localAddress: to, localPort: 5060 });
  }

  /** Let queued deliveries (and what they trigger) happen. */
  async settle(rounds = 20): Promise<void> {
    for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
  }

  /** Advance the fake clock in steps, letting messages flow between steps. */
  async advance(ms: number, step = 100): Promise<void> {
    for (let t = 0; t < ms; t += step) {
      this.clock.advance(Math.min(step, ms - t));
      await this.settle(4);
    }
  }

  requests(method: string, from?: string): SipRequest[] {
    return this.wire.filter((w) => w.msg.isRequest() && (w.msg as SipRequest).method === method && (!from || w.from.startsWith(from)))
      .map((w) => w.msg as SipRequest);
  }

  responses(status: number, method?: string): SipResponse[] {
    return this.wire.filter((w) => !w.msg.isRequest() && (w.msg as SipResponse).status === status && (!method || (w.msg as SipResponse).cseq?.method === method))
      .map((w) => w.msg as SipResponse);
  }
}
