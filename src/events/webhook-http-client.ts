// The HTTP client webhook delivery posts with: node:http / node:https over keep-alive Agents
// (one per scheme), so hundreds of deliveries per second to one receiver reuse a few pooled
// sockets instead of paying global fetch's (undici's) per-request stream and Response
// machinery, which a profile showed as ~39 % of delivery CPU (docs/benchmarks.md).
//
// It only POSTs a string body and reports the status; redirects are never followed (a 3xx is
// an answer like any other), the response body is read and dropped so the socket goes back
// to the pool. It must never retry by itself: the engine owns retries and their order.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** What one POST came back with. */
export interface WebhookResponse {
  status: number;
}

/**
 * Sends one webhook POST; rejects on a connection error (with the socket error's `code`) or
 * when `signal` aborts (an AbortError). The engine passes a signal that it aborts on timeout.
 */
export type WebhookPost = (url: string, headers: Record<string, string>, body: string, signal: AbortSignal) => Promise<WebhookResponse>;

export interface WebhookHttpClientOptions {
  /** Sockets kept open per receiver host; default 256 (above the engine's default concurrency of 64). */
  maxSockets?: number;
  /** Idle pooled sockets kept per host; default 64. */
  maxFreeSockets?: number;
  /** Idle pooled socket lifetime; default 4000 ms (under Node's 5 s server keepAliveTimeout, so we close first). */
  freeSocketTimeoutMs?: number;
}

/** A keep-alive node:http(s) client; close() destroys its pooled sockets. */
export class WebhookHttpClient {
  private readonly http: HttpAgent;
  private readonly https: HttpsAgent;

  constructor(opts: WebhookHttpClientOptions = {}) {
    const agentOpts = {
      keepAlive: true,
      maxSockets: opts.maxSockets ?? 256,
      maxFreeSockets: opts.maxFreeSockets ?? 64,
      timeout: opts.freeSocketTimeoutMs ?? 4000,
      scheduling: 'lifo' as const,
    };
    this.http = new HttpAgent(agentOpts);
    this.https = new HttpsAgent(agentOpts);
  }

  /** The WebhookPost of this client (bound, so it can be passed around). */
  readonly post: WebhookPost = (url, headers, body, signal) => {
    return new Promise<WebhookResponse>((resolve, reject) => {
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        reject(Object.assign(new Error(`invalid webhook URL ${JSON.stringify(url)}`), { code: 'ERR_INVALID_URL' }));
        return;
      }
      const secure = u.protocol === 'https:';
      if (!secure && u.protocol !== 'http:') {
        reject(Object.assign(new Error(`unsupported webhook URL scheme ${u.protocol}`), { code: 'ERR_INVALID_URL' }));
        return;
      }
      if (signal.aborted) {
        reject(abortError());
        return;
      }
      const payload = Buffer.from(body, 'utf8');
      const req = (secure ? httpsRequest : httpRequest)({
        protocol: u.protocol,
        hostname: u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname,
        port: u.port || (secure ? 443 : 80),
        path: `${u.pathname}${u.search}`,
        method: 'POST',
        agent: secure ? this.https : this.http,
        headers: { ...headers, 'content-length': String(payload.length) },
        ...(u.username ? { auth: `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` } : {}),
        signal,
      });
      req.once('response', (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        // Drain the (small) answer: only a fully read response frees the socket for reuse.
        res.on('error', () => undefined);
        // 'close' also covers a receiver that hangs up mid-body: its status still counts.
        res.once('end', () => resolve({ status }));
        res.once('close', () => resolve({ status }));
        res.resume();
      });
      req.once('error', (err) => reject(signal.aborted ? abortError() : err));
      req.end(payload);
    });
  };

  /** Destroys pooled sockets (requests in flight are the caller's to abort first). */
  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

function abortError(): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
}

/** Adapts a fetch-compatible function (tests inject one) to WebhookPost. */
export function postWithFetch(fetchFn: typeof fetch): WebhookPost {
  return async (url, headers, body, signal) => {
    const res = await fetchFn(url, { method: 'POST', headers, body, signal, redirect: 'manual' });
    await res.arrayBuffer().catch(() => undefined);
    return { status: res.status };
  };
}
