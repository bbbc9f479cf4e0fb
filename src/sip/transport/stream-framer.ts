// Cuts a byte stream (TCP, TLS) into SIP messages (RFC 3261 §18.3): the end of the header
// block is the first empty line, and the body is exactly Content-Length bytes, which a
// stream MUST carry. It also recognises the RFC 5626 §3.5.1 keep-alives between messages.
//
//   ┌── CRLF CRLF ──┐  ping: answer with a single CRLF (pong)
//   │ CRLF          │  pong or stray CRLF before a start line (§7.5): skipped
//   │ start-line CRLF
//   │ *( header-line CRLF )     each ≤ maxLineBytes, at most maxHeaders lines,
//   │ CRLF                      header block ≤ maxMessageBytes
//   │ body: Content-Length bytes (long `Content-Length` or compact `l`)
//   └──────────────
//
// Anything that makes framing unrecoverable (a line or header block over the limits, too many
// headers, Content-Length missing, negative, non-numeric, repeated or larger than the limit)
// is a FramingError: the owner answers 400 when it can (RFC 4475 §3.1.2.x ncl, mcl01) and
// closes the connection, because no later byte can be trusted to start a message.
//
// The framer never copies a complete message that arrived in one chunk: frames are
// subarrays of the chunk. A message arriving in pieces is appended into spare capacity that
// doubles as needed (amortised O(n), so a byte-by-byte dribble costs no quadratic copying),
// and no byte of an emitted frame is ever overwritten, so frames stay valid.

export interface FramerLimits {
  /** Largest message (header block + body). */
  maxMessageBytes: number;
  /** Most header lines (start line excluded). */
  maxHeaders: number;
  /** Longest header or start line, CRLF excluded. */
  maxLineBytes: number;
}

export class FramingError extends Error {
  constructor(
    message: string,
    /**
     * The complete lines read before the error (start line first); lets the owner salvage
     * enough of a request (start line, Via, From, To, Call-ID, CSeq) to answer it.
     */
    readonly head: Buffer,
    /** Response status for a request: always 400 for framing (RFC 3261 §21.4.1). */
    readonly status: number = 400,
  ) {
    super(message);
    this.name = 'FramingError';
  }
}

export interface FramerSink {
  /** One complete message, header block and body. */
  onMessage(frame: Buffer): void;
  /** A double-CRLF keep-alive ping arrived: the owner sends a single CRLF back. */
  onPing(): void;
  /** Framing lost; the framer accepts nothing more. */
  onError(err: FramingError): void;
}

const CR = 13;
const LF = 10;
const EMPTY = Buffer.alloc(0);
const CONTENT_LENGTH = Buffer.from('content-length');

/** Is buf[start,end) (a header name, maybe with trailing blanks) Content-Length or `l`? */
function isContentLength(buf: Buffer, start: number, end: number): boolean {
  while (end > start && (buf[end - 1] === 32 || buf[end - 1] === 9)) end--;
  const len = end - start;
  if (len === 1) return (buf[start] | 0x20) === 0x6c; // 'l'
  if (len !== CONTENT_LENGTH.length) return false;
  for (let i = 0; i < len; i++) if ((buf[start + i] | 0x20) !== CONTENT_LENGTH[i]) return false;
  return true;
}

/** Content-Length value in buf[start,end): a decimal number, or a negative code for errors. */
function readLength(buf: Buffer, start: number, end: number): number {
  while (start < end && (buf[start] === 32 || buf[start] === 9)) start++;
  while (end > start && (buf[end - 1] === 32 || buf[end - 1] === 9)) end--;
  if (start === end) return -2;
  if (buf[start] === 0x2d) return -1; // '-'
  if (end - start > 10) return -3;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return -2;
    n = n * 10 + d;
  }
  return n;
}

export class StreamFramer {
  private buf: Buffer = EMPTY;
  /** Backing store that `buf` is a view of, with spare room after it for appends. */
  private store: Buffer = EMPTY;
  /** Where the next search for LF starts, so a long line is not rescanned per chunk. */
  private scanFrom = 0;
  /** Start of the next header line still to be scanned (relative to buf). */
  private lineStart = 0;
  private headerLines = 0;
  /** Content-Length seen so far in this message; -1 when none yet. */
  private contentLength = -1;
  /** Offset of the body once the empty line was found; -1 before. */
  private bodyStart = -1;
  private dead = false;

  constructor(
    private readonly limits: FramerLimits,
    private readonly sink: FramerSink,
  ) {}

  /** Bytes of an incomplete message are buffered (keep-alive CRLFs do not count). */
  get inMessage(): boolean {
    const b = this.buf;
    return !this.dead && b.length > 0 && (this.lineStart > 0 || (b[0] !== CR && b[0] !== LF));
  }

  /** Bytes held while waiting for the rest of a message. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Stop framing (the connection is closing); later pushes are ignored. */
  close(): void {
    this.dead = true;
    this.buf = EMPTY;
  }

  push(chunk: Buffer): void {
    if (this.dead || chunk.length === 0) return;
    this.append(chunk);
    while (!this.dead && this.buf.length > 0) {
      if (this.lineStart === 0 && !this.skipKeepAlives()) return;
      if (this.buf.length === 0) return;
      if (this.bodyStart < 0 && !this.scanHeaders()) return;
      const total = this.bodyStart + this.contentLength;
      if (this.buf.length < total) return;
      const frame = this.buf.subarray(0, total);
      this.buf = total === this.buf.length ? EMPTY : this.buf.subarray(total);
      if (this.buf.length === 0) this.ownStore = false;
      this.lineStart = 0;
      this.scanFrom = 0;
      this.headerLines = 0;
      this.contentLength = -1;
      this.bodyStart = -1;
      this.sink.onMessage(frame);
    }
  }

  private append(chunk: Buffer): void {
    const b = this.buf;
    if (b.length === 0) {
      this.buf = this.store = chunk;
      this.ownStore = false;
      return;
    }
    const off = b.byteOffset - this.store.byteOffset;
    const end = off + b.length;
    if (this.ownStore && end + chunk.length <= this.store.length) {
      chunk.copy(this.store, end);
      this.buf = this.store.subarray(off, end + chunk.length);
      return;
    }
    const need = b.length + chunk.length;
    const next = Buffer.allocUnsafe(Math.max(need * 2, 1024));
    b.copy(next, 0);
    chunk.copy(next, b.length);
    this.store = next;
    this.ownStore = true;
    this.buf = next.subarray(0, need);
  }

  /** The store was allocated here (a socket's chunk is never written into). */
  private ownStore = false;

  /**
   * Consume CRLFs before a start line (RFC 3261 §7.5, RFC 5626 §3.5.1). Returns false when
   * the buffer holds only part of a possible ping ("\r", "\r\n", "\r\n\r"): wait for more.
   */
  private skipKeepAlives(): boolean {
    const b = this.buf;
    let i = 0;
    let wait = false;
    while (i < b.length) {
      if (b[i] === LF) {
        i++;
        continue;
      }
      if (b[i] !== CR) break;
      const left = b.length - i;
      if (left === 1) { wait = true; break; }
      if (b[i + 1] !== LF) break; // junk; header scanning rejects it
      if (left >= 4 && b[i + 2] === CR && b[i + 3] === LF) {
        i += 4;
        this.sink.onPing();
        if (this.dead) return false;
        continue;
      }
      if (left === 2 || (left === 3 && b[i + 2] === CR)) { wait = true; break; }
      i += 2; // a pong, or a stray CRLF before a message
    }
    if (i > 0) this.buf = i === b.length ? EMPTY : b.subarray(i);
    if (this.buf.length === 0) this.ownStore = false;
    return !wait;
  }

  /** Scan header lines from lineStart; returns true once the empty line was found. */
  private scanHeaders(): boolean {
    const b = this.buf;
    const { maxLineBytes, maxHeaders, maxMessageBytes } = this.limits;
    for (;;) {
      const nl = b.indexOf(LF, Math.max(this.lineStart, this.scanFrom));
      if (nl < 0) {
        this.scanFrom = b.length;
        if (b.length - this.lineStart > maxLineBytes) return this.fail('header line too long');
        if (b.length > maxMessageBytes) return this.fail('header block too large');
        return false;
      }
      let end = nl;
      if (end > this.lineStart && b[end - 1] === CR) end--;
      if (end - this.lineStart > maxLineBytes) return this.fail('header line too long');
      if (end === this.lineStart) {
        if (this.lineStart === 0) return this.fail('empty start line');
        this.bodyStart = nl + 1;
        this.lineStart = nl + 1;
        break;
      }
      if (this.lineStart > 0) {
        if (++this.headerLines > maxHeaders) return this.fail('too many header lines');
        const colon = b.indexOf(0x3a, this.lineStart);
        if (colon > this.lineStart && colon < end && isContentLength(b, this.lineStart, colon)) {
          if (this.contentLength >= 0) return this.fail('more than one Content-Length');
          const n = readLength(b, colon + 1, end);
          if (n === -1) return this.fail('negative Content-Length');
          if (n < 0) return this.fail('Content-Length is not a number');
          this.contentLength = n;
        }
      }
      this.lineStart = nl + 1;
      if (this.lineStart > maxMessageBytes) return this.fail('header block too large');
    }
    // RFC 3261 §18.3: on a stream the Content-Length header field MUST be used.
    if (this.contentLength < 0) return this.fail('Content-Length missing on a stream transport');
    if (this.bodyStart + this.contentLength > maxMessageBytes) return this.fail('message larger than allowed');
    return true;
  }

  private fail(why: string): false {
    const head = this.buf.subarray(0, this.lineStart);
    this.dead = true;
    this.buf = EMPTY;
    this.sink.onError(new FramingError(why, head));
    return false;
  }
}
