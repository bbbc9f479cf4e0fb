// Helpers for the transport tests: loopback peers with bounded waits. Test-only.
import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';

export function options(opts: { via?: string; ua?: string; method?: string; body?: string; cl?: string; branch?: string } = {}): string {
  const body = opts.body ?? '';
  const method = opts.method ?? 'OPTIONS';
  return (
    `${method} sip:svc@127.0.0.1 SIP/2.0\r\n` +
    `Via: ${opts.via ?? `SIP/2.0/UDP client.example.com:5099;rport;branch=${opts.branch ?? 'z9hG4bKt1'}`}\r\n` +
    'Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a1\r\nTo: <sip:svc@127.0.0.1>\r\n' +
    `Call-ID: call-${Math.random().toString(36).slice(2)}\r\nCSeq: 1 ${method}\r\n` +
    (opts.ua ? `User-Agent: ${opts.ua}\r\n` : '') +
    `Content-Length: ${opts.cl ?? Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** Reject after ms so a missing packet fails the test instead of hanging it. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_r, reject) => {
      t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    }),
  ]);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A UDP peer on loopback that records what it receives. */
export class UdpPeer {
  readonly received: string[] = [];
  private waiters: (() => void)[] = [];
  private constructor(readonly sock: dgram.Socket) {
    sock.on('message', (b) => {
      this.received.push(b.toString());
      for (const w of this.waiters.splice(0)) w();
    });
  }
  static async open(address = '127.0.0.1'): Promise<UdpPeer> {
    const s = dgram.createSocket('udp4');
    s.bind(0, address);
    await once(s, 'listening');
    return new UdpPeer(s);
  }
  get port(): number {
    return this.sock.address().port;
  }
  send(data: string | Buffer, port: number): void {
    this.sock.send(typeof data === 'string' ? Buffer.from(data) : data, port, '127.0.0.1');
  }
  async next(ms = 1000): Promise<string> {
    const start = this.received.length;
    while (this.received.length === start) {
      await within(new Promise<void>((r) => this.waiters.push(r)), ms, 'a datagram');
    }
    return this.received[start];
  }
  close(): void {
    this.sock.close();
  }
}

/** A raw TCP client that collects what the server writes and notices the close. */
export class TcpPeer {
  data = '';
  closed: Promise<void>;
  private waiters: (() => void)[] = [];
  private constructor(readonly sock: net.Socket) {
    sock.on('data', (b) => {
      this.data += b.toString();
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('error', () => {});
    this.closed = new Promise((r) => sock.on('close', () => r()));
  }
  static async open(port: number, localAddress = '127.0.0.1'): Promise<TcpPeer> {
    const s = net.connect({ port, host: '127.0.0.1', localAddress });
    await once(s, 'connect');
    return new TcpPeer(s);
  }
  write(s: string | Buffer): void {
    this.sock.write(s);
  }
  /** Wait until the collected data matches. */
  async waitFor(re: RegExp, ms = 1000): Promise<string> {
    const deadline = Date.now() + ms;
    while (!re.test(this.data)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${re}; got ${JSON.stringify(this.data)}`);
      await within(new Promise<void>((r) => this.waiters.push(r)), left, String(re)).catch(() => {});
    }
    return this.data;
  }
  destroy(): void {
    this.sock.destroy();
  }
}
