// A webhook receiver for tests and benchmarks: node:http on 127.0.0.1 port 0 that records
// every request (headers, raw body) and answers with whatever `respond` decides. Like a real
// bot's Event Grid endpoint it answers the Event Grid subscription validation handshake
// (SubscriptionValidationEvent → {validationResponse}) itself, unless `answerValidation` is
// false; those requests go to `validations`, not `received`.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export type Responder = (req: ReceivedRequest, index: number) => number | Promise<number>;

export interface WebhookReceiver {
  url: string;
  port: number;
  received: ReceivedRequest[];
  /** Event Grid validation handshakes seen (answered when answerValidation). */
  validations: ReceivedRequest[];
  /** Answer the Event Grid validation handshake; default true. */
  answerValidation: boolean;
  respond: Responder;
  /** Resolves once `n` requests have arrived (rejects after timeoutMs). */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(respond: Responder = () => 200, port = 0): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const r: WebhookReceiver = {
    url: '',
    port: 0,
    received,
    validations: [],
    answerValidation: true,
    respond,
    waitFor(n, timeoutMs = 10_000) {
      if (received.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`only ${received.length} of ${n} webhook requests arrived`)), timeoutMs);
        waiters.push({ n, resolve: () => { clearTimeout(t); resolve(); } });
      });
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: ReceivedRequest = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      if (req.headers['aeg-event-type'] === 'SubscriptionValidation') {
        r.validations.push(rec);
        if (!r.answerValidation) return void res.writeHead(400).end();
        const code = (JSON.parse(rec.body) as { data: { validationCode: string } }[])[0].data.validationCode;
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ validationResponse: code }));
      }
      const index = received.length;
      received.push(rec);
      for (const w of waiters.filter((x) => received.length >= x.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      Promise.resolve(r.respond(rec, index)).then(
        (status) => res.writeHead(status, { 'content-type': 'text/plain' }).end('ok'),
        () => res.writeHead(500).end(),
      );
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  r.port = (server.address() as AddressInfo).port;
  r.url = `http://127.0.0.1:${r.port}/hook`;
  return r;
}
