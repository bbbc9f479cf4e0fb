// The durable memory the idempotency guard needs, as a port: the HTTP layer may not import the
// store, so it states what it needs here and the server passes the store's
// IdempotencyRepository, which has exactly this shape. Implementations must make claim()
// atomic across every node that shares them (insert-if-absent on a primary key).

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
  state: 'in_flight' | 'completed';
  /** Set once state is 'completed'. */
  response?: StoredResponse;
  createdAt: number;
  expiresAt: number;
}

export interface IdempotencyStore {
  /** Claims (scope, key) unless a live record (expiresAt > now) holds it; expired ones are replaced. */
  claim(req: {
    scope: string; key: string; fingerprint: string; now: number; expiresAt: number;
  }): Promise<{ claimed: true; token: string } | { claimed: false; record: IdempotencyRecord }>;
  /** Stores the response of a claim; false when the claim is no longer the caller's. */
  complete(scope: string, key: string, token: string, response: StoredResponse): Promise<boolean>;
  /** Drops a claim so the next duplicate runs again; no-op when it is not the caller's. */
  release(scope: string, key: string, token: string): Promise<void>;
  /** Deletes rows expired at `now`; returns how many. */
  purgeExpired(now: number): Promise<number>;
}
