// What a registrar remembers (RFC 3261 §10.3): bindings from an address-of-record to contact
// addresses, and the storage interface behind them. Kept plain and JSON-serializable so the
// durable store (SQLite/PostgreSQL, store layer) can implement BindingStore row for row.

/** Where the REGISTER came from: how to reach the contact through NAT (RFC 5626 flows). */
export interface BindingSource {
  protocol: string;
  address: string;
  port: number;
  /** Stream transports: the connection to send requests for this binding on. */
  connectionId?: string;
}

export interface Binding {
  /** Canonical address-of-record (see aor.ts), the index of the binding. */
  aor: string;
  /** The Contact's URI as written (no <>, no contact params; URI params and headers kept). */
  contact: string;
  /** Absolute expiry time, ms since the epoch (Clock time). */
  expiresAt: number;
  callId: string;
  cseq: number;
  /** Contact "q" preference 0..1 (RFC 3261 §20.10); absent means no preference. */
  q?: number;
  /** "+sip.instance" as written, quotes included (RFC 5626 §4.1, RFC 5627). */
  instance?: string;
  /** "reg-id" (RFC 5626 §4.2). */
  regId?: number;
  /** Path header values to use as a route set towards the contact (RFC 3327). */
  path?: string[];
  source?: BindingSource;
  userAgent?: string;
  /** Other contact params as written (not expires, q, +sip.instance, reg-id); null = flag. */
  params?: Record<string, string | null>;
}

/**
 * Storage of bindings per AOR. `put` replaces every binding of the AOR at once (an empty list
 * deletes it): the registrar computes a REGISTER's whole outcome first, so a store never sees
 * half of one (RFC 3261 §10.3: "the binding updates MUST be committed … atomically").
 */
export interface BindingStore {
  /** Bindings of an AOR, expired ones possibly included (the registrar filters). */
  get(aor: string): Promise<Binding[]>;
  put(aor: string, bindings: Binding[]): Promise<void>;
  remove(aor: string): Promise<void>;
  /** Every binding (for expiry sweeps and admin views); optional for very large stores. */
  list?(): Promise<Binding[]>;
  /** Drops bindings that expired at `now`; returns how many. A store can do it in one query. */
  purgeExpired?(now: number): Promise<number>;
}
