// The one error parseSdp throws: it names the offending line (1-based number and text) so a
// 488 or a log line can say exactly what a peer sent wrong.

export class SdpParseError extends Error {
  readonly code = 'ERR_SDP_PARSE';
  /** 1-based line number; 0 when the problem is the description as a whole (missing line). */
  readonly line: number;
  /** The offending line as received (CR stripped), '' when missing. */
  readonly text: string;

  constructor(reason: string, line = 0, text = '') {
    super(line > 0 ? `SDP line ${line} "${text.length > 80 ? `${text.slice(0, 80)}…` : text}": ${reason}` : `SDP: ${reason}`);
    this.name = 'SdpParseError';
    this.line = line;
    this.text = text;
  }
}
