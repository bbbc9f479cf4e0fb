// Kysely's view of the idempotency table (migration 0004); ../schema.ts lists it in Schema.
// Conventions as in ../schema.ts: ms timestamps in bigint, JSON in text.

/** One request id claimed by one caller, in flight or finished. */
export interface IdempotencyKeysTable {
  /** Who sent it: 'admin', 'app:<applicationId>' … (the HTTP layer decides); with `key`, the primary key. */
  scope: string;
  /** The request id with its header style as prefix ('rr:<uuid>', 'ik:<Idempotency-Key>'). */
  key: string;
  /** Random per claim: only the claimant may complete or release the row. */
  token: string;
  /** Hash of what makes two requests "the same" (method, URL, body …). */
  fingerprint: string;
  /** 'in_flight' | 'completed'. */
  state: string;
  /** The finished response; null while in flight. */
  status_code: number | null;
  /** JSON object of header name (lower case) → value. */
  response_headers: string | null;
  response_body: string | null;
  /** 'utf8' | 'base64' (a binary body); null while in flight. */
  body_encoding: string | null;
  /** ms since the epoch. */
  created_at: number;
  /** ms since the epoch; from then on the row is dead and may be purged or re-claimed. */
  expires_at: number;
}
