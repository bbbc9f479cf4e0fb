/**
 * The one error a player operation fails with. `code` is stable (programs branch on it; the
 * engine maps it to the play operation's failure reason), `message` says why for people.
 *
 * - NOT_FOUND: a local file does not exist, or a URL answered 404/410.
 * - TOO_LARGE: the file exceeds the per-file limit (PromptCache maxFileBytes, default 20 MiB).
 * - UNSUPPORTED_FORMAT: not a WAV we can decode (truncated, garbage, unknown encoding or rate).
 * - FETCH_FAILED: any other HTTP status, a network error or a timeout.
 */
export type PlayErrorCode = 'NOT_FOUND' | 'TOO_LARGE' | 'UNSUPPORTED_FORMAT' | 'FETCH_FAILED';

export class PlayError extends Error {
  readonly code: PlayErrorCode;

  constructor(code: PlayErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PlayError';
    this.code = code;
  }
}
