// SipRequest and SipResponse: header storage with lazily parsed, cached typed views.
// Mutating a header through set/add/remove drops the cached view of that header.

import * as header_names_ from './header-names.ts';
import * as header_parsers_ from './header-parsers.ts';
import type { CSeq, HeaderField, NameAddr, Uri, Via } from './types.ts';

// Imported functions are bound to local consts once: under tsx's CommonJS interop each use
// of an imported binding is a getter call, which on the per-message path cost more than the
// parsing itself (measured with bench/sip-parser.bench.ts).
const { canonicalHeaderName, LIST_HEADERS, normalizeHeaderName } = header_names_;
const { parseCSeq, parseNameAddr, parseUri, parseVia, splitList } = header_parsers_;

const EMPTY = Buffer.alloc(0);

export abstract class SipMessage {
  /** Headers in wire order; names are lower-case long forms, values unfolded and trimmed. */
  headers: HeaderField[];
  body: Buffer;
  private cache: Map<string, unknown> | undefined;

  constructor(headers: HeaderField[] = [], body: Buffer = EMPTY) {
    this.headers = headers;
    this.body = body;
  }

  abstract isRequest(): this is SipRequest;

  // ── raw header access ────────────────────────────────────────────────

  /** First value of a header (compact or long name accepted), or undefined. */
  get(name: string): string | undefined {
    const n = normalizeHeaderName(name);
    for (const h of this.headers) if (h.name === n) return h.value;
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Every value of a header; list headers are also split on top-level commas. */
  getAll(name: string): string[] {
    const n = normalizeHeaderName(name);
    const out: string[] = [];
    for (const h of this.headers) {
      if (h.name !== n) continue;
      if (LIST_HEADERS.has(n)) for (const v of splitList(h.value)) out.push(v);
      else out.push(h.value);
    }
    return out;
  }

  /** How many header lines carry this name (for "exactly one" checks). */
  count(name: string): number {
    const n = normalizeHeaderName(name);
    let c = 0;
    for (const h of this.headers) if (h.name === n) c++;
    return c;
  }

  /** Replace every line of this header with one value (appended at the end if new). */
  set(name: string, value: string | number): this {
    const n = normalizeHeaderName(name);
    const v = String(value);
    const i = this.headers.findIndex((h) => h.name === n);
    if (i < 0) this.headers.push({ name: n, value: v });
    else {
      this.headers[i] = { name: n, value: v };
      this.headers = this.headers.filter((h, j) => j <= i || h.name !== n);
    }
    this.cache?.delete(n);
    return this;
  }

  /** Append a header line. */
  add(name: string, value: string | number): this {
    const n = normalizeHeaderName(name);
    this.headers.push({ name: n, value: String(value) });
    this.cache?.delete(n);
    return this;
  }

  /** Insert a header line before the first line of the same name (Via, Record-Route). */
  prepend(name: string, value: string): this {
    const n = normalizeHeaderName(name);
    const i = this.headers.findIndex((h) => h.name === n);
    this.headers.splice(i < 0 ? this.headers.length : i, 0, { name: n, value });
    this.cache?.delete(n);
    return this;
  }

  remove(name: string): this {
    const n = normalizeHeaderName(name);
    this.headers = this.headers.filter((h) => h.name !== n);
    this.cache?.delete(n);
    return this;
  }

  /** Remove the first value of a list header (the top Via when a response goes upstream). */
  removeFirst(name: string): this {
    const n = normalizeHeaderName(name);
    const i = this.headers.findIndex((h) => h.name === n);
    if (i >= 0) {
      const rest = splitList(this.headers[i].value).slice(1);
      if (rest.length) this.headers[i] = { name: n, value: rest.join(', ') };
      else this.headers.splice(i, 1);
    }
    this.cache?.delete(n);
    return this;
  }

  protected cached<T>(key: string, make: () => T): T {
    this.cache ??= new Map();
    if (this.cache.has(key)) return this.cache.get(key) as T;
    const v = make();
    this.cache.set(key, v);
    return v;
  }

  // ── typed views (throw SipParseError when the header is malformed) ──

  get callId(): string | undefined {
    return this.get('call-id');
  }

  get cseq(): CSeq | undefined {
    return this.cached('cseq', () => {
      const v = this.get('cseq');
      return v === undefined ? undefined : parseCSeq(v);
    });
  }

  get from(): NameAddr | undefined {
    return this.cached('from', () => {
      const v = this.get('from');
      return v === undefined ? undefined : parseNameAddr(v);
    });
  }

  get to(): NameAddr | undefined {
    return this.cached('to', () => {
      const v = this.get('to');
      return v === undefined ? undefined : parseNameAddr(v);
    });
  }

  get fromTag(): string | undefined {
    return this.from?.params.get('tag') ?? undefined;
  }

  get toTag(): string | undefined {
    return this.to?.params.get('tag') ?? undefined;
  }

  /** Every Via value, top first. */
  get vias(): Via[] {
    return this.cached('via', () => this.getAll('via').map(parseVia));
  }

  get topVia(): Via | undefined {
    return this.vias[0];
  }

  get contacts(): NameAddr[] {
    return this.cached('contact', () => this.getAll('contact').map(parseNameAddr));
  }

  get recordRoutes(): NameAddr[] {
    return this.cached('record-route', () => this.getAll('record-route').map(parseNameAddr));
  }

  get routes(): NameAddr[] {
    return this.cached('route', () => this.getAll('route').map(parseNameAddr));
  }

  get contentType(): string | undefined {
    return this.get('content-type');
  }

  get maxForwards(): number | undefined {
    const v = this.get('max-forwards');
    return v === undefined ? undefined : Number.parseInt(v, 10);
  }

  /** Values of a token-list header (Supported, Require, Allow …), lower-cased. */
  tokens(name: string): string[] {
    return this.getAll(name).map((t) => t.trim().toLowerCase()).filter(Boolean);
  }
}

export class SipRequest extends SipMessage {
  method: string;
  /** Request-URI as on the wire; `requestUri` parses it. */
  uri: string;

  constructor(method: string, uri: string, headers?: HeaderField[], body?: Buffer) {
    super(headers, body);
    this.method = method;
    this.uri = uri;
  }

  isRequest(): this is SipRequest {
    return true;
  }

  get requestUri(): Uri {
    return this.cached(`ruri:${this.uri}`, () => parseUri(this.uri));
  }
}

export class SipResponse extends SipMessage {
  status: number;
  reason: string;

  constructor(status: number, reason: string, headers?: HeaderField[], body?: Buffer) {
    super(headers, body);
    this.status = status;
    this.reason = reason;
  }

  isRequest(): this is SipRequest {
    return false;
  }
}

export function headerLine(h: HeaderField): string {
  return `${canonicalHeaderName(h.name)}: ${h.value}`;
}
