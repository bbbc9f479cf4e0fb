/**
 * Download one URL into memory with a byte limit and a timeout, for prompts. An oversize file is
 * refused from its Content-Length before any of the body is read, and a body without (or lying
 * about) Content-Length is counted as it streams and abandoned the moment it passes the limit,
 * so a huge or endless response never fills memory.
 */
import { PlayError } from './play-error.ts';

export interface FetchBoundedOptions {
  /** Largest body accepted, bytes. Required. */
  maxBytes: number;
  /** Whole-request timeout (headers and body), ms. Default 10 000. */
  timeoutMs?: number;
  /** Extra request headers (conditional requests). Default none. */
  headers?: Record<string, string>;
}

export interface FetchedBody {
  status: number;
  /** Empty for 304 Not Modified. */
  body: Uint8Array;
  etag?: string;
  lastModified?: string;
}

export async function fetchBounded(url: string, opts: FetchBoundedOptions): Promise<FetchedBody> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PlayError('FETCH_FAILED', `invalid URL ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new PlayError('FETCH_FAILED', `unsupported URL scheme ${parsed.protocol} (http and https only)`);
  }
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  const where = `${parsed.origin}${parsed.pathname}`; // no query string in messages (may hold tokens)
  try {
    let res: Response;
    try {
      res = await fetch(parsed, { signal: ctrl.signal, headers: opts.headers, redirect: 'follow' });
    } catch (err) {
      throw ctrl.signal.aborted
        ? new PlayError('FETCH_FAILED', `fetching ${where} timed out after ${timeoutMs} ms`)
        : new PlayError('FETCH_FAILED', `fetching ${where} failed: ${(err as Error).message}`, { cause: err });
    }
    const meta = { etag: res.headers.get('etag') ?? undefined, lastModified: res.headers.get('last-modified') ?? undefined };
    if (res.status === 304) {
      await res.body?.cancel();
      return { status: 304, body: new Uint8Array(0), ...meta };
    }
    if (!res.ok) {
      await res.body?.cancel();
      const code = res.status === 404 || res.status === 410 ? 'NOT_FOUND' : 'FETCH_FAILED';
      throw new PlayError(code, `fetching ${where} failed: HTTP ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > opts.maxBytes) {
      await res.body?.cancel();
      throw new PlayError('TOO_LARGE', `${where} is ${declared} bytes, over the ${opts.maxBytes}-byte limit`);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (res.body) {
      const reader = res.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          total += value.byteLength;
          if (total > opts.maxBytes) {
            await reader.cancel();
            throw new PlayError('TOO_LARGE', `${where} is over the ${opts.maxBytes}-byte limit`);
          }
          chunks.push(value);
        }
      } catch (err) {
        if (err instanceof PlayError) throw err;
        throw ctrl.signal.aborted
          ? new PlayError('FETCH_FAILED', `fetching ${where} timed out after ${timeoutMs} ms`)
          : new PlayError('FETCH_FAILED', `reading ${where} failed: ${(err as Error).message}`, { cause: err });
      }
    }
    const body = new Uint8Array(total);
    let o = 0;
    for (const c of chunks) { body.set(c, o); o += c.byteLength; }
    return { status: res.status, body, ...meta };
  } finally {
    clearTimeout(timer);
  }
}
