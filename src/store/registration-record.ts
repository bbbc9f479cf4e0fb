// The store's shape of a SIP registrar binding. It is a field-for-field copy of `Binding` in
// src/sip/registrar/binding.ts: the store may not import sip/, so the type is repeated here
// and TypeScript's structural typing lets the server hand a RegistrationRepository to the
// registrar as its BindingStore. test/store-registrations.test.ts fails to compile if the two
// drift apart; change both together.

/** Where the REGISTER came from: how to reach the contact through NAT (RFC 5626 flows). */
export interface RegistrationSource {
  protocol: string;
  address: string;
  port: number;
  /** Stream transports: the connection to send requests for this binding on. */
  connectionId?: string;
}

/** One binding of an address-of-record to a contact (RFC 3261 §10.3). */
export interface RegistrationRecord {
  /** Canonical address-of-record, the index of the binding. */
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
  source?: RegistrationSource;
  userAgent?: string;
  /** Other contact params as written (not expires, q, +sip.instance, reg-id); null = flag. */
  params?: Record<string, string | null>;
}
