// SipChannelFactory: core's ChannelFactory over the SIP user agent and the media engine. It
// turns a participant into an outbound INVITE:
//   phone number   → a trunk (DialOptions.trunkId, else the configured default trunk, else the
//                    only/first trunk in the store): Request-URI sip:+49…@host:port, the trunk's
//                    digest credentials answer a 401/407 (RFC 3261 §22.2), its caller-ID rules
//                    rewrite the From user (first matching rule wins) or withhold it (RFC 3323);
//   SIP URI        → a registered user when the registrar holds bindings for that AOR (the
//                    Contact of the best binding, Path as Route, RFC 3327), else the URI directly;
//   webrtc user    → the registered bindings of a user with that name (any domain).
// The endpoint is created first (its port goes in our SDP offer); the ring timeout is the
// session's no-answer timer, which CANCELs (RFC 3261 §9.1).
// Failures come back as a leg that ended, never as a call left dialing: a user of this node
// (sip:user@<our host>, a WebRTC/ACS user) who is not registered → 'not-registered' (404) at
// once (FailedChannel); a far end that never answers the INVITE → ended at the ring timeout, a
// refused connection → 'unreachable' (OutboundSipChannel).
//
// It must never leave an endpoint behind: if the INVITE cannot be sent, the endpoint is closed.
import { randomUUID } from 'node:crypto';
import type { ChannelFactory, DialOptions, DialedLeg, HangupInfo, Participant } from '../core/index.ts';
import type { Clock, Logger } from '../lib/index.ts';
import type { MediaEngine } from '../media/index.ts';
import type { Binding, Destination, OutgoingSession, UserAgent } from '../sip/index.ts';
import { destinationForUri } from '../sip/index.ts';
import { EngineMediaEndpoint } from './engine-media-endpoint.ts';
import { FailedChannel } from './failed-channel.ts';
import { OutboundSipChannel } from './outbound-sip-channel.ts';
import { SdpMedia } from './sdp-media.ts';

/** One caller-ID rewrite of a trunk (the store's CallerIdRule, structurally). */
export interface CallerIdRule {
  /** Destination prefix the rule applies to; '' or absent = every call. */
  matchPrefix?: string;
  set?: string;
  stripDigits?: number;
  prepend?: string;
  /** Present the call as anonymous (RFC 3323 Privacy: id). */
  withhold?: boolean;
}

/** What dialing needs of a trunk, secrets included (the store's TrunkRecord satisfies it). */
export interface TrunkInfo {
  id: string;
  name: string;
  host: string;
  port: number;
  transport: string;
  username: string | null;
  password: string | null;
  callerIdRules: CallerIdRule[];
}

/** Where trunks are read from (the store's trunk repository satisfies it; adapters may not import store/). */
export interface TrunkDirectory {
  get(id: string): Promise<TrunkInfo | undefined>;
  getByName(name: string): Promise<TrunkInfo | undefined>;
  list(): Promise<TrunkInfo[]>;
}

export interface SipChannelFactoryOptions {
  ua: UserAgent;
  media: MediaEngine;
  trunks: TrunkDirectory;
  /** Address in our SDP (c=) — the node's public host. */
  publicHost: string;
  clock: Clock;
  logger: Logger;
  /** Directory for the endpoints' scratch files (utterances). */
  scratchDir: string;
  /** Current bindings of an AOR (the registrar's lookup); default none (no registered users). */
  lookupBindings?: (aor: string) => Promise<Binding[]>;
  /** Every binding (to find a user by name whatever the domain); default none. */
  listBindings?: () => Promise<Binding[]>;
  /**
   * Whether this node answers a URI of its own itself (a diagnostic target like sip:answer@, a
   * routed number or SIP URI): such a dial loops back through our stack instead of failing
   * not-registered. Default: none does.
   */
  servesLocally?: (uri: string) => Promise<boolean>;
  /** Trunk name used for phone numbers when DialOptions names none; default the first trunk in the store. */
  defaultTrunk?: string;
  /** Ring timeout when DialOptions gives none; default 60000 ms. */
  ringTimeoutMs?: number;
  /** Told about every session placed, so the SIP service can drain it on shutdown; default none. */
  adopt?: (session: OutgoingSession) => void;
}

export class DialError extends Error {
  constructor(readonly code: 'NO_TRUNK' | 'NOT_REGISTERED' | 'UNSUPPORTED_TARGET', message: string) {
    super(message);
  }
}

/** The caller ID a trunk presents for `dest`: the first rule whose prefix matches rewrites it. */
export function applyCallerIdRules(callerId: string, dest: string, rules: readonly CallerIdRule[]): { user: string; withhold: boolean } {
  const rule = rules.find((r) => !r.matchPrefix || dest.startsWith(r.matchPrefix));
  if (!rule) return { user: callerId, withhold: false };
  let user = rule.set ?? callerId;
  if (rule.stripDigits) user = user.slice(rule.stripDigits);
  if (rule.prepend) user = rule.prepend + user;
  return { user, withhold: rule.withhold === true };
}

const PROTOCOL: Record<string, Destination['protocol']> = { udp: 'UDP', tcp: 'TCP', tls: 'TLS', ws: 'WS', wss: 'WSS' };

/** Best binding first: highest q (RFC 3261 §10.2.1.2), then the most recently refreshed. */
function best(bindings: readonly Binding[]): Binding | undefined {
  return [...bindings].sort((a, b) => (b.q ?? 1) - (a.q ?? 1) || b.expiresAt - a.expiresAt)[0];
}

interface Plan {
  uri: string;
  to: string;
  from?: string;
  dest?: Destination;
  headers: Array<[string, string]>;
  credentials?: { username: string; password: string };
}

export class SipChannelFactory implements ChannelFactory {
  constructor(private readonly o: SipChannelFactoryOptions) {}

  private async trunkFor(opts: DialOptions): Promise<TrunkInfo> {
    const repo = this.o.trunks;
    const t = opts.trunkId ? await repo.get(opts.trunkId)
      : this.o.defaultTrunk ? await repo.getByName(this.o.defaultTrunk)
        : (await repo.list())[0];
    if (!t) throw new DialError('NO_TRUNK', opts.trunkId ? `no trunk ${opts.trunkId}` : 'no trunk is configured for calls to phone numbers');
    return t;
  }

  private fromFor(callerId: Participant | undefined): string | undefined {
    if (!callerId) return undefined;
    if (callerId.kind === 'phone') return `<sip:${callerId.number}@${this.o.publicHost}>`;
    if (callerId.kind === 'sip') return `<${callerId.uri}>`;
    return undefined;
  }

  private async registered(user: string | undefined, aor: string | undefined): Promise<Binding | undefined> {
    if (aor && this.o.lookupBindings) {
      const b = best(await this.o.lookupBindings(aor));
      if (b) return b;
    }
    if (user && this.o.listBindings) {
      return best((await this.o.listBindings()).filter((b) => /^sips?:([^@]*)@/.exec(b.aor)?.[1] === user));
    }
    return undefined;
  }

  private async plan(target: Participant, opts: DialOptions): Promise<Plan> {
    const extra = Object.entries(opts.headers ?? {}).filter(([n]) => /^x-/i.test(n));
    switch (target.kind) {
      case 'phone': {
        const t = await this.trunkFor(opts);
        const cid = opts.callerId?.kind === 'phone' ? opts.callerId.number : opts.callerId?.kind === 'sip' ? /^sips?:([^@]+)@/.exec(opts.callerId.uri)?.[1] : undefined;
        const rewritten = cid !== undefined ? applyCallerIdRules(cid, target.number, t.callerIdRules) : undefined;
        const headers: Array<[string, string]> = [...extra];
        let from: string | undefined;
        if (rewritten?.withhold) {
          // RFC 3323 §4.1.1.3: an anonymous From, the identity kept for the carrier only.
          from = '"Anonymous" <sip:anonymous@anonymous.invalid>';
          headers.push(['privacy', 'id'], ['p-asserted-identity', `<sip:${rewritten.user}@${t.host}>`]);
        } else if (rewritten) from = `<sip:${rewritten.user}@${t.host}>`;
        const transport = t.transport === 'udp' ? '' : `;transport=${t.transport}`;
        const uri = `sip:${target.number}@${t.host}:${t.port}${transport}`;
        return {
          uri, to: `<sip:${target.number}@${t.host}>`, headers,
          dest: { protocol: PROTOCOL[t.transport] ?? 'UDP', address: t.host, port: t.port },
          ...(from ? { from } : {}),
          ...(t.username && t.password ? { credentials: { username: t.username, password: t.password } } : {}),
        };
      }
      case 'sip': {
        const uri = target.uri.startsWith('sip') ? target.uri : `sip:${target.uri}`;
        const ours = this.isOurs(uri);
        // A user of this node is found by its user part too: a phone may register its AOR
        // under any of our names (public host, 127.0.0.1, localhost).
        const b = await this.registered(ours ? /^sips?:([^@;]+)@/i.exec(uri)?.[1] : undefined, uri);
        const from = this.fromFor(opts.callerId);
        // A user of this node can only be reached through its registration: sending the INVITE
        // to ourselves (or to nobody on localhost:5060) would only wait for Timer B.
        if (!b && ours && !(await this.o.servesLocally?.(uri))) throw new DialError('NOT_REGISTERED', `${uri} is not registered`);
        if (!b) return { uri, to: `<${uri}>`, headers: extra, ...(from ? { from } : {}) };
        return this.toBinding(b, uri, extra, from);
      }
      case 'webrtc': {
        const b = await this.registered(target.user, undefined);
        if (!b) throw new DialError('NOT_REGISTERED', `user ${target.user} is not registered`);
        const from = this.fromFor(opts.callerId);
        return this.toBinding(b, b.aor, extra, from);
      }
      default:
        throw new DialError('UNSUPPORTED_TARGET', `cannot dial a ${target.kind} participant over SIP`);
    }
  }

  /**
   * Whether a SIP URI names a user of this node: its host is our public host or localhost (the
   * ACS face maps 8:acs:<user> to sip:<user>@localhost) and it names no port or our own.
   */
  private isOurs(uri: string): boolean {
    const m = /^sips?:(?:[^@]*@)?(\[[^\]]+\]|[^:;?>]+)(?::(\d+))?/i.exec(uri);
    if (!m) return false;
    const host = m[1]!.toLowerCase();
    if (host !== this.o.publicHost.toLowerCase() && host !== 'localhost') return false;
    if (m[2] === undefined) return true;
    const ours = /:(\d+)(?:[;>]|$)/.exec(this.o.ua.contactFor({ protocol: 'UDP', address: '127.0.0.1', port: 5060 }))?.[1];
    return ours !== undefined && ours === m[2];
  }

  private toBinding(b: Binding, aor: string, extra: Array<[string, string]>, from: string | undefined): Plan {
    const path = (b as Binding & { path?: string[] }).path ?? [];
    const headers: Array<[string, string]> = [...path.map((p): [string, string] => ['route', p]), ...extra];
    return { uri: b.contact, to: `<${aor}>`, headers, ...(path.length === 0 ? { dest: destinationForUri(b.contact) } : {}), ...(from ? { from } : {}) };
  }

  async dial(target: Participant, opts: DialOptions): Promise<DialedLeg> {
    let plan: Plan;
    try {
      plan = await this.plan(target, opts);
    } catch (err) {
      if (!(err instanceof DialError) || err.code !== 'NOT_REGISTERED') throw err;
      return this.failedLeg(target, opts, { by: 'system', reason: 'not-registered', sipStatus: 404 });
    }
    // Worker affinity: a leg of an existing call must share its first leg's media worker to be
    // bridged or mixed with it (the engine does not relay audio between workers).
    const near = opts.near instanceof EngineMediaEndpoint && !opts.near.closed ? opts.near.handle : undefined;
    const handle = await this.o.media.createEndpoint({ codec: { name: 'PCMU', clockRate: 8000, payloadType: 0 }, ...(near ? { near } : {}) });
    try {
      const sdp = new SdpMedia(handle, this.o.publicHost);
      const session = this.o.ua.invite({
        uri: plan.uri, to: plan.to, headers: plan.headers, body: sdp.offer(), contentType: 'application/sdp',
        timeoutMs: opts.ringTimeoutMs ?? this.o.ringTimeoutMs ?? 60_000,
        ...(plan.from ? { from: plan.from } : {}),
        ...(plan.dest ? { dest: plan.dest } : {}),
        ...(plan.credentials ? { credentials: plan.credentials } : {}),
      });
      this.o.adopt?.(session);
      const logger = this.o.logger.child({ callId: session.callId });
      const channel = new OutboundSipChannel(session, {
        id: session.callId || randomUUID(), remote: target,
        local: opts.callerId ?? { kind: 'sip', uri: `sip:switchboard@${this.o.publicHost}` },
        media: sdp, clock: this.o.clock, logger,
      });
      const media = new EngineMediaEndpoint(handle, { clock: this.o.clock, logger, scratchDir: this.o.scratchDir });
      return { channel, media };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** A leg that ends on its own with `info` (see FailedChannel); its endpoint is closed with the leg. */
  private async failedLeg(target: Participant, opts: DialOptions, info: HangupInfo): Promise<DialedLeg> {
    const near = opts.near instanceof EngineMediaEndpoint && !opts.near.closed ? opts.near.handle : undefined;
    const handle = await this.o.media.createEndpoint({ codec: { name: 'PCMU', clockRate: 8000, payloadType: 0 }, ...(near ? { near } : {}) });
    const id = randomUUID();
    const logger = this.o.logger.child({ channel: id });
    logger.info({ reason: info.reason }, 'outbound leg not attempted');
    const channel = new FailedChannel(id, target, opts.callerId ?? { kind: 'sip', uri: `sip:switchboard@${this.o.publicHost}` }, info);
    return { channel, media: new EngineMediaEndpoint(handle, { clock: this.o.clock, logger, scratchDir: this.o.scratchDir }) };
  }
}
