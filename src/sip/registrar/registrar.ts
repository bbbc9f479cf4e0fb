// The registrar: processes REGISTER requests into bindings (RFC 3261 §10.3) and answers
// location lookups. It never sends anything itself; the UA core hands it a REGISTER that the
// transaction layer received and sends back the response it returns. Require/Proxy-Require
// (§10.3 step 2, §8.2.2.3) are the UA core's business, before it calls handle().
//
// §10.3, step by step, as implemented below:
//   1. Request-URI domain       → part of `servesAor` (we are not a proxy; no forwarding)
//   3./4. authenticate/authorize → optional `authenticate` + `mayRegister` hooks (401/403)
//   5. To must be a SIP/SIPS AOR we serve → 400 for other schemes (RFC 4475 §3.3.4 unksm2),
//      404 when `servesAor` says no
//   6. Contact "*" only alone and only with Expires: 0                        → else 400
//   7. expires from the contact param, else Expires header, else default; 0 < e < min → 423
//      with Min-Expires; e > max → shortened to max. Per contact, against the stored binding
//      with an equal URI (§19.1.4) — or the same +sip.instance/reg-id (RFC 5626 §6):
//      different Call-ID → replace/remove; same Call-ID and higher CSeq → replace/remove;
//      same Call-ID and lower-or-equal CSeq → the whole update is aborted. RFC 3261 names no
//      status for "the request fails"; we answer 500 like an out-of-order in-dialog request
//      (§12.2.2). All changes of a request are committed at once or not at all.
//   8. 200 OK listing every current binding with its remaining expires, plus Date.
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../../lib/index.ts';
import { createResponse, parseUri } from '../message/index.ts';
import type { NameAddr, SipRequest, SipResponse, Uri } from '../message/index.ts';
import { aorKey, isSipUri } from './aor.ts';
import type { Binding, BindingSource, BindingStore } from './binding.ts';
import { sameUri } from './uri-equal.ts';

/** Outcome of authenticating a REGISTER (DigestServer.check() has this shape). */
export type RegistrarAuthResult = { ok: true; username: string } | { ok: false; response: SipResponse };

export interface RegistrarOptions {
  store: BindingStore;
  /** Whether we keep bindings for this AOR (domain and user check). Default: every SIP AOR. */
  servesAor?: (aor: string, uri: Uri) => boolean | Promise<boolean>;
  /** Shortest registration accepted, in seconds (RFC 3261 §10.3 step 7, 423). Default 60. */
  minExpires?: number;
  /** Longest registration granted; longer requests are shortened. Default 3600. */
  maxExpires?: number;
  /** Registration length when neither the contact nor the request says. Default 3600. */
  defaultExpires?: number;
  /** Time source for expiry. Default systemClock. */
  clock?: Clock;
  /** Authentication (e.g. `(r) => digest.check(r)`); default: none, every REGISTER is trusted. */
  authenticate?: (req: SipRequest) => Promise<RegistrarAuthResult>;
  /**
   * Whether an authenticated user may change this AOR's bindings (§10.3 step 4).
   * Default: the username equals the AOR's user part.
   */
  mayRegister?: (username: string, aor: string, uri: Uri) => boolean | Promise<boolean>;
}

/** A contact of the request, validated, before it meets the stored bindings. */
interface WantedContact {
  uri: Uri;
  expires: number;
  q?: number;
  instance?: string;
  regId?: number;
  params?: Record<string, string | null>;
}

/** Raised inside handle() to turn a validation failure into a response. */
class Reject {
  constructor(readonly status: number, readonly reason: string, readonly headers: [string, string][] = []) {}
}

const OWN_PARAMS = new Set(['expires', 'q', '+sip.instance', 'reg-id']);
const DELTA = /^\d{1,10}$/;

export class Registrar {
  private readonly store: BindingStore;
  private readonly servesAor: NonNullable<RegistrarOptions['servesAor']>;
  private readonly minExpires: number;
  private readonly maxExpires: number;
  private readonly defaultExpires: number;
  private readonly clock: Clock;
  private readonly authenticate?: RegistrarOptions['authenticate'];
  private readonly mayRegister: NonNullable<RegistrarOptions['mayRegister']>;
  /** Per-AOR queue: REGISTERs for one AOR are applied one after another. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(opts: RegistrarOptions) {
    this.store = opts.store;
    this.servesAor = opts.servesAor ?? (() => true);
    this.minExpires = opts.minExpires ?? 60;
    this.maxExpires = opts.maxExpires ?? 3600;
    this.defaultExpires = opts.defaultExpires ?? 3600;
    this.clock = opts.clock ?? systemClock;
    this.authenticate = opts.authenticate;
    this.mayRegister = opts.mayRegister ?? ((username, _aor, uri) => username === uri.user);
  }

  /** Processes a REGISTER and returns the response to send (never throws on bad input). */
  async handle(req: SipRequest, source?: BindingSource): Promise<SipResponse> {
    try {
      return await this.process(req, source);
    } catch (e) {
      if (e instanceof Reject) {
        const res = respond(req, e.status, e.reason);
        for (const [n, v] of e.headers) res.add(n, v);
        return res;
      }
      // Malformed To/Contact/CSeq surface from the parser as SipParseError (status 400).
      const status = (e as { status?: unknown }).status;
      if (e instanceof Error && e.name === 'SipParseError' && typeof status === 'number') {
        return respond(req, status);
      }
      throw e;
    }
  }

  private async process(req: SipRequest, source?: BindingSource): Promise<SipResponse> {
    if (req.method !== 'REGISTER') throw new Reject(405, 'Method Not Allowed', [['allow', 'REGISTER']]);
    const to = req.to;
    const callId = req.callId;
    const cseq = req.cseq;
    if (!to || callId === undefined || !cseq) throw new Reject(400, 'Missing To, Call-ID or CSeq');
    if (!isSipUri(to.uri)) throw new Reject(400, 'To is not a SIP or SIPS URI');
    const aor = aorKey(to.uri);

    if (this.authenticate) {
      const auth = await this.authenticate(req);
      if (!auth.ok) return auth.response;
      if (!(await this.mayRegister(auth.username, aor, to.uri))) throw new Reject(403, 'Forbidden');
    }
    if (!(await this.servesAor(aor, to.uri))) throw new Reject(404, 'Not Found');

    const contacts = req.contacts;
    const star = contacts.some((c) => c.star);
    const expiresHeader = this.parseExpiresHeader(req.get('expires'));
    if (star && (contacts.length !== 1 || expiresHeader !== 0)) {
      throw new Reject(400, 'Contact * needs Expires: 0 and no other Contact');
    }
    const wanted = star ? [] : contacts.map((c) => this.wanted(c, expiresHeader));
    const tooShort = wanted.some((w) => w.expires > 0 && w.expires < this.minExpires);
    if (tooShort) throw new Reject(423, 'Interval Too Brief', [['min-expires', String(this.minExpires)]]);

    return this.serialized(aor, async () => {
      const now = this.clock.now();
      const current = (await this.store.get(aor)).filter((b) => b.expiresAt > now);
      const next = star
        ? this.removeAll(current, callId, cseq.seq)
        : this.apply(current, wanted, { aor, callId, cseq: cseq.seq, now, req, source });
      if (star || wanted.length > 0) await this.store.put(aor, next);
      return this.ok(req, next, now);
    });
  }

  /** Current bindings of an AOR (a URI or its text), best q first, expired ones left out. */
  async lookup(aor: string | Uri): Promise<Binding[]> {
    const uri = typeof aor === 'string' ? parseUri(aor) : aor;
    const now = this.clock.now();
    return sortByQ((await this.store.get(aorKey(uri))).filter((b) => b.expiresAt > now));
  }

  /** Drops every expired binding from the store; returns how many. Call it periodically. */
  async purgeExpired(): Promise<number> {
    const now = this.clock.now();
    if (this.store.purgeExpired) return this.store.purgeExpired(now);
    if (!this.store.list) return 0;
    const byAor = new Map<string, Binding[]>();
    for (const b of await this.store.list()) byAor.set(b.aor, [...(byAor.get(b.aor) ?? []), b]);
    let n = 0;
    for (const [aor, bs] of byAor) {
      const live = bs.filter((b) => b.expiresAt > now);
      if (live.length === bs.length) continue;
      n += bs.length - live.length;
      await this.serialized(aor, () => this.store.put(aor, live));
    }
    return n;
  }

  private parseExpiresHeader(v: string | undefined): number | undefined {
    if (v === undefined) return undefined;
    // RFC 3261 §20.19: a malformed Expires is treated as 3600 (here: our default).
    return DELTA.test(v.trim()) ? Number(v.trim()) : this.defaultExpires;
  }

  private wanted(c: NameAddr, expiresHeader: number | undefined): WantedContact {
    const raw = c.params.get('expires');
    let expires: number;
    if (raw === undefined) expires = expiresHeader ?? this.defaultExpires;
    else expires = raw !== null && DELTA.test(raw) ? Number(raw) : this.defaultExpires;
    expires = Math.min(expires, this.maxExpires);

    const w: WantedContact = { uri: c.uri, expires };
    const q = c.params.get('q');
    if (q !== undefined) {
      // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )   (RFC 3261 §25.1)
      if (q === null || !/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(q)) throw new Reject(400, 'Bad q value');
      w.q = Number(q);
    }
    const inst = c.params.get('+sip.instance');
    if (inst) w.instance = inst;
    const regId = c.params.get('reg-id');
    if (regId !== undefined) {
      if (regId === null || !/^\d{1,10}$/.test(regId)) throw new Reject(400, 'Bad reg-id');
      w.regId = Number(regId);
    }
    const other: Record<string, string | null> = {};
    let any = false;
    for (const [k, v] of c.params) {
      if (OWN_PARAMS.has(k)) continue;
      other[k] = v;
      any = true;
    }
    if (any) w.params = other;
    return w;
  }

  /** §10.3 step 6, Contact "*": every binding goes unless one is newer than this request. */
  private removeAll(current: Binding[], callId: string, seq: number): Binding[] {
    for (const b of current) {
      if (b.callId === callId && seq <= b.cseq) throw new Reject(500, 'Out-of-order CSeq');
    }
    return [];
  }

  /** §10.3 step 7: the AOR's bindings after this request; throws Reject to abort it whole. */
  private apply(
    current: Binding[],
    wanted: WantedContact[],
    r: { aor: string; callId: string; cseq: number; now: number; req: SipRequest; source?: BindingSource },
  ): Binding[] {
    const next = [...current];
    const touched = new Set<Binding>();
    const path = r.req.getAll('path');
    const userAgent = r.req.get('user-agent');
    for (const w of wanted) {
      const i = next.findIndex((b) => matches(b, w));
      const old = i < 0 ? undefined : next[i];
      if (old && !touched.has(old) && old.callId === r.callId && r.cseq <= old.cseq) {
        throw new Reject(500, 'Out-of-order CSeq');
      }
      if (i >= 0) next.splice(i, 1);
      if (w.expires === 0) continue;
      const b: Binding = {
        aor: r.aor,
        contact: w.uri.raw,
        expiresAt: r.now + w.expires * 1000,
        callId: r.callId,
        cseq: r.cseq,
      };
      if (w.q !== undefined) b.q = w.q;
      if (w.instance !== undefined) b.instance = w.instance;
      if (w.regId !== undefined) b.regId = w.regId;
      if (path.length) b.path = path;
      if (r.source) {
        b.source = { protocol: r.source.protocol, address: r.source.address, port: r.source.port };
        if (r.source.connectionId !== undefined) b.source.connectionId = r.source.connectionId;
      }
      if (userAgent !== undefined) b.userAgent = userAgent;
      if (w.params) b.params = w.params;
      touched.add(b);
      next.push(b);
    }
    return next;
  }

  private ok(req: SipRequest, bindings: Binding[], now: number): SipResponse {
    const res = respond(req, 200);
    for (const b of sortByQ(bindings)) {
      let v = `<${b.contact}>;expires=${Math.max(0, Math.ceil((b.expiresAt - now) / 1000))}`;
      if (b.q !== undefined) v += `;q=${b.q}`;
      if (b.instance !== undefined) v += `;+sip.instance=${b.instance}`;
      if (b.regId !== undefined) v += `;reg-id=${b.regId}`;
      for (const [k, p] of Object.entries(b.params ?? {})) v += p === null ? `;${k}` : `;${k}=${p}`;
      res.add('contact', v);
    }
    // RFC 3261 §10.3 step 8 and §20.17: the Date lets simple clients set their clock.
    res.set('date', new Date(now).toUTCString());
    // RFC 3327 §5.3: echo the Path we stored, when the client said it understands it.
    if (req.tokens('supported').includes('path')) {
      for (const p of req.getAll('path')) res.add('path', p);
    }
    return res;
  }

  private serialized<T>(aor: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(aor) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.locks.set(aor, tail);
    void tail.then(() => {
      if (this.locks.get(aor) === tail) this.locks.delete(aor);
    });
    return run;
  }
}

/** Same binding: same instance and reg-id when the contact has an instance, else equal URIs. */
function matches(b: Binding, w: WantedContact): boolean {
  if (w.instance !== undefined && b.instance !== undefined) {
    return w.instance === b.instance && w.regId === b.regId;
  }
  let stored: Uri;
  try {
    stored = parseUri(b.contact);
  } catch {
    return b.contact === w.uri.raw;
  }
  return sameUri(stored, w.uri);
}

/** A final response with a To tag, as RFC 3261 §8.2.6.2 requires of a UAS. */
function respond(req: SipRequest, status: number, phrase?: string): SipResponse {
  return createResponse(req, status, phrase, { toTag: randomBytes(5).toString('hex') });
}

function sortByQ(bs: Binding[]): Binding[] {
  // A contact without q ranks as q=1.0 (highest); equal ranks keep registration order.
  return [...bs].sort((a, b) => (b.q ?? 1) - (a.q ?? 1));
}
