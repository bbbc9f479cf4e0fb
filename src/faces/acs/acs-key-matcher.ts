// Finds which application's ACS access key signed a request (vendor-apis.md A.10), in one HMAC
// in the common case. The Authorization header names no key ("HMAC-SHA256 SignedHeaders=…&
// Signature=…"), so without a hint every active key of every application would be tried — N
// HMACs per request for N keys. Bots are long-lived clients that drive a call with one key, keep
// their HTTP connections open (keep-alive) and talk from one address. So these keys are tried
// first, in order: the key that last verified a request for the same resource (the call
// connection or recording id in the path), on the same TCP connection, from the same peer
// address; only when all miss are the other keys tried (and the one that matches becomes the
// hint). The resource hint matters because the SDK shares one keep-alive pool per process
// (@azure/core-client's cached HTTP client): a process holding clients of several applications
// sends their requests over the same sockets, and only the path tells them apart. A request on
// no resource yet (createCall, answerCall) from such a process, or behind a reverse proxy that
// pools connections, misses more often; the result is the same, only slower (at worst every
// key, as before).
//
// Security properties kept:
// - every comparison is constant-time (./hmac-auth.ts signedWith);
// - a hint is only a key to try first: it is tried only while it is in the current read of the
//   active keys, and dropped when it is not — a revoked key that was "last good" is refused as
//   soon as the key read no longer lists it, exactly like any other key;
// - the active keys are read at most once per `cacheMs` (default 1 s), so a revoked key stops
//   working within that time; on a signature mismatch they are reread once (a just-issued key
//   works at once), and the keys already tried are not tried again.
// What an attacker can time is how many keys were tried, not anything about a key's bytes.
import { systemClock, type Clock } from '../../lib/index.ts';
import { parseSignedRequest, signedWith, type HmacFailure, type SignedParts, type SignedRequest } from './hmac-auth.ts';

export interface ActiveAcsKey {
  applicationId: string;
  /** base64 */
  key: string;
}

export interface AcsKeyMatcherOptions {
  /** Every application's active keys (tenancy.acs.allActiveKeys). */
  load: () => Promise<readonly ActiveAcsKey[]>;
  /** Default systemClock. */
  clock?: Clock;
  /** How long one read of the keys is used; default 1000 ms — how long a revoked key may keep working. */
  cacheMs?: number;
  /** Accepted |now − x-ms-date|; default 300000 ms. */
  maxSkewMs?: number;
  /** Peer addresses, and resources, whose last good key is remembered; default 10000 each (least recently used forgotten first). */
  maxPeers?: number;
}

/** Where a request came from and what it is about: each is a hint to the key that signed it. */
export interface RequestOrigin {
  /** The resource the path names (call connection id, recording id). */
  resource?: string;
  /** The connection (any object that lives as long as it). */
  connection?: object;
  /** The peer address. */
  peer?: string;
}

/** Counters since start: `hmacs / requests` → 1 when the hints work. */
export interface AcsAuthStats {
  /** Requests that reached the key search (well-formed, in the skew window, body hash good). */
  requests: number;
  /** HMAC-SHA256 signatures computed by the key search. */
  hmacs: number;
  /** Reads of the active keys. */
  keyReads: number;
}

interface KeySnapshot {
  at: number;
  /** key → applicationId, in the order read (newest first). */
  owners: Map<string, string>;
}

export class AcsKeyMatcher {
  readonly stats: AcsAuthStats = { requests: 0, hmacs: 0, keyReads: 0 };
  private readonly clock: Clock;
  private readonly cacheMs: number;
  private readonly maxPeers: number;
  private snapshot: KeySnapshot | undefined;
  private reading: Promise<KeySnapshot> | undefined;
  /** The key that last verified a request on a connection (dies with the connection). */
  private readonly byConnection = new WeakMap<object, string>();
  /** The key that last verified a request from a peer address; insertion order = recency. */
  private readonly byPeer = new Map<string, string>();
  /** The key that last verified a request for a resource; insertion order = recency. */
  private readonly byResource = new Map<string, string>();

  constructor(private readonly opts: AcsKeyMatcherOptions) {
    this.clock = opts.clock ?? systemClock;
    this.cacheMs = opts.cacheMs ?? 1000;
    this.maxPeers = opts.maxPeers ?? 10_000;
  }

  /** The application whose active key signed the request, or why not. */
  async authenticate(req: SignedRequest, origin: RequestOrigin = {}): Promise<{ ok: true; applicationId: string } | { ok: false; failure: HmacFailure }> {
    const parsed = parseSignedRequest(req, { now: this.clock.now(), ...(this.opts.maxSkewMs !== undefined ? { maxSkewMs: this.opts.maxSkewMs } : {}) });
    if (!parsed.ok) return parsed;
    this.stats.requests++;
    const tried = new Set<string>();
    let found = this.search(parsed.parts, await this.keys(), origin, tried);
    // A key issued since the last read works at once: reread (shared by concurrent mismatches)
    // and try only the keys not tried yet.
    if (!found) found = this.search(parsed.parts, await this.keys(true), origin, tried);
    return found ? { ok: true, applicationId: found } : { ok: false, failure: 'BAD_SIGNATURE' };
  }

  private search(parts: SignedParts, snap: KeySnapshot, origin: RequestOrigin, tried: Set<string>): string | undefined {
    const hints = [
      origin.resource !== undefined ? this.byResource.get(origin.resource) : undefined,
      origin.connection ? this.byConnection.get(origin.connection) : undefined,
      origin.peer !== undefined ? this.byPeer.get(origin.peer) : undefined,
    ];
    const attempt = (key: string): string | undefined => {
      if (tried.has(key)) return undefined;
      tried.add(key);
      this.stats.hmacs++;
      if (!signedWith(parts, key)) return undefined;
      this.remember(origin, key);
      return snap.owners.get(key);
    };
    for (const key of hints) {
      if (key === undefined) continue;
      // Not in the current read: revoked (or the read is newer than the hint). Never tried.
      if (!snap.owners.has(key)) {
        this.forget(origin, key);
        continue;
      }
      const app = attempt(key);
      if (app !== undefined) return app;
    }
    for (const key of snap.owners.keys()) {
      const app = attempt(key);
      if (app !== undefined) return app;
    }
    return undefined;
  }

  private remember(origin: RequestOrigin, key: string): void {
    if (origin.connection) this.byConnection.set(origin.connection, key);
    const lru = (map: Map<string, string>, id: string | undefined) => {
      if (id === undefined) return;
      map.delete(id);
      map.set(id, key);
      if (map.size > this.maxPeers) map.delete(map.keys().next().value!);
    };
    lru(this.byPeer, origin.peer);
    lru(this.byResource, origin.resource);
  }

  private forget(origin: RequestOrigin, key: string): void {
    if (origin.connection && this.byConnection.get(origin.connection) === key) this.byConnection.delete(origin.connection);
    if (origin.peer !== undefined && this.byPeer.get(origin.peer) === key) this.byPeer.delete(origin.peer);
    if (origin.resource !== undefined && this.byResource.get(origin.resource) === key) this.byResource.delete(origin.resource);
  }

  /** The active keys: the cached read while younger than cacheMs (unless `fresh`), one read in flight at a time. */
  private async keys(fresh = false): Promise<KeySnapshot> {
    if (!fresh && this.snapshot && this.clock.now() - this.snapshot.at < this.cacheMs) return this.snapshot;
    this.reading ??= (async () => {
      try {
        const at = this.clock.now();
        const rows = await this.opts.load();
        this.stats.keyReads++;
        const owners = new Map<string, string>();
        for (const r of rows) if (!owners.has(r.key)) owners.set(r.key, r.applicationId);
        this.snapshot = { at, owners };
        return this.snapshot;
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }
}
