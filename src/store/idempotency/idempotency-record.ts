// What the idempotency repository stores and hands back, free of SQL row shapes. The HTTP
// layer (src/http/idempotency) declares a structurally identical port, since it may not
// import the store; the server passes this repository to it.

export type IdempotencyState = 'in_flight' | 'completed';

/** A finished response, as it will be replayed. */
export interface StoredResponse {
  status: number;
  /** Header name (lower case) → value; only the headers worth replaying. */
  headers: Record<string, string>;
  /** The body as sent: text, or base64 when `bodyEncoding` says so. */
  body: string;
  bodyEncoding: 'utf8' | 'base64';
}

export interface IdempotencyRecord {
  scope: string;
  key: string;
  fingerprint: string;
  state: IdempotencyState;
  /** Set once state is 'completed'. */
  response?: StoredResponse;
  createdAt: number;
  expiresAt: number;
}

export interface ClaimRequest {
  scope: string;
  key: string;
  fingerprint: string;
  /** "Now" for this claim, ms since the epoch: rows with expiresAt ≤ now count as absent. */
  now: number;
  /** When the new row stops protecting the key, ms since the epoch. */
  expiresAt: number;
}

/** Either this caller now owns the key (and must complete or release it), or someone did first. */
export type ClaimResult =
  | { claimed: true; token: string }
  | { claimed: false; record: IdempotencyRecord };
