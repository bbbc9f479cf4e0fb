// The API faces call: take an incoming call, place an outbound one, run operations on calls,
// read calls. Every method takes the principal; another application's call does not exist
// for it (CALL_NOT_FOUND).
//
// Admission and what happens when the application does not act (docs/calls.md "Limits" and
// "When the application does not answer"):
// - limits: maxConcurrentCalls and callsPerSecond per application (CallLimiter) refuse an
//   inbound call with the application's limitStatus (default 503) and an outbound one with
//   CALL_LIMIT_EXCEEDED / RATE_LIMITED; every outbound leg (createCall, transfer, fallback)
//   passes the destination policy (default: no international).
// - an inbound call nobody answered within the application's unansweredTimeoutMs (default the
//   node's, 30 s) is rejected with its unansweredStatus (default 480).
// - when the application's webhooks fail (attachWebhookHealth: 'failing', or the call's own
//   call.incoming delivery failing, see webhookDeliveryFailed) its unanswered inbound calls
//   get the application's webhookFallback: hang up, apology then hang up, or transfer.
//
// Close cascade: close() refuses new calls (CLOSED), closes every live call (each ends with
// reason 'shutdown', its CDR written), then emits 'closed'.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { nullLogger, systemClock, type Clock, type Logger, type TimerHandle } from '../../lib/index.ts';
import type { ApplicationRecord, CallListQuery, CallRecord, LegRecord, Store } from '../../store/index.ts';
import { buildCdrs } from '../cdr/cdr-builder.ts';
import { createCall as createCallOp } from '../operations/create-call.ts';
import type { DialLeg } from '../operations/dial.ts';
import { Operation, type OperationEnv, type OperationInfo } from '../operations/operation.ts';
import { OPERATIONS } from '../operations/registry.ts';
import { asParams } from '../operations/validate.ts';
import type { Channel, ChannelFactory, MediaEndpoint, MediaStreamer, MixerFactory, Participant, Recognizer, RejectReason, Synthesizer, Transcriber } from '../ports/index.ts';
import { ADMIN, isDestinationAllowed, type Principal } from '../tenancy/index.ts';
import { Call } from './call.ts';
import { resolveCallHandling, type ResolvedCallHandling } from './call-handling.ts';
import { CallLimiter } from './call-limiter.ts';
import { CallError } from './call-error.ts';
import { CallJournal } from './call-journal.ts';
import { isUnanswered } from './call-state.ts';
import { DEFAULT_CONFERENCE_IDLE_MS, watchConferenceIdle } from './conference-idle.ts';
import { ConferenceRegistry } from './conference-registry.ts';
import { joinConference, type ConnectLeg, type JoinConferenceInfo, type JoinOutcome } from './conference-join.ts';
import { Leg } from './leg.ts';
import { LiveCallCounts } from './live-call-counts.ts';
import { announceOnFirstAnswer } from './first-answer.ts';


export interface CallServiceOptions {
  store: Store;
  /** Default systemClock. */
  clock?: Clock;
  /** Default nullLogger. */
  logger?: Logger;
  /** Directory recordings are written to (absolute). Required. */
  recordingsDir: string;
  /** Directory 'file' play sources are relative to (absolute); default none (paths used as given: tests, tools). */
  mediaDir?: string;
  /** For TTS in prompts; default none (TTS sources fail with NOT_CONFIGURED). */
  synthesizer?: Synthesizer;
  /** For speech recognition; default none. */
  recognizer?: Recognizer;
  /** For live transcription and free-form recognize; default none (NOT_CONFIGURED). */
  transcriber?: Transcriber;
  /** For outbound legs; default none (createCall, addParticipant fail with NOT_CONFIGURED). */
  channelFactory?: ChannelFactory;
  /** For three or more parties; default none. */
  mixerFactory?: MixerFactory;
  /** For media streaming and live transcription to WebSockets; default none (NOT_CONFIGURED). */
  mediaStreamer?: MediaStreamer;
  /** Home country code without '+' for the destination policy; default none (all E.164 is international). */
  homeCountryCode?: string;
  /** Reject an inbound call nobody answered after this long, unless its application says otherwise; default 30000 ms. */
  unansweredTimeoutMs?: number;
  /** How to reject it, unless its application says otherwise; default 'none' (the adapter sends 480). */
  unansweredReject?: RejectReason;
  /** Send 180 Ringing as soon as a call comes in; default true. */
  autoRing?: boolean;
  /** End a conference (openConference) after this long without a live leg; default 600000 ms (10 min). */
  conferenceIdleTimeoutMs?: number;
}

/** What openConference takes (docs/calls.md "Conferences"). */
export interface OpenConferenceOptions {
  /** Names the conference within the application (1–256 printable characters), e.g. 'group:<id>'. */
  locator: string;
  /** Where its events go; default the application's callback URL. Used only when it is created. */
  callbackUrl?: string;
  /** Its delivery format (a face's formatter name); default 'native'. Used only when it is created. */
  callbackFormat?: string;
  /** Idle timeout of this conference (1000..86400000 ms); default the service's conferenceIdleTimeoutMs. */
  idleTimeoutMs?: number;
  /**
   * When `call.answered` is journaled: 'open' (default) as soon as the conference exists;
   * 'firstAnswer' when its first party answers — a group call placed by createCall, whose
   * application waits for "connected" before it speaks (ACS CallConnected).
   */
  answeredEvent?: 'open' | 'firstAnswer';
}

const MAX_LOCATOR = 256;

export interface IncomingInfo {
  applicationId: string;
  from: Participant;
  to: Participant;
}

export interface ExecuteOptions {
  principal: Principal;
  /** Echoed in every event of the operation; default none. */
  operationContext?: string;
  /** Where this operation's events go instead of the application's callback URL. */
  callbackUrl?: string;
  /** createCall only: the call's delivery format (a face's formatter name); default 'native'. */
  callbackFormat?: string;
}

/** A call as read back: the durable row plus its legs. */
export interface CallView extends CallRecord {
  legs: LegRecord[];
}

/**
 * What CallService needs to know about an application's webhooks (implemented by
 * events/WebhookHealth): whether they are failing now, and when they start to.
 */
export interface WebhookHealthSignal {
  isFailing(applicationId: string): boolean;
  on(event: 'failing', listener: (info: { applicationId: string }) => void): () => void;
}

export interface CallServiceEvents {
  /** A call came in (after call.incoming was committed). */
  incoming: [Call];
  /** The webhook fallback started on a call (action: hangup | apology | transfer). */
  fallback: [Call, { action: string; reason: string }];
  closed: [];
}

export class CallService extends EventEmitter<CallServiceEvents> {
  private readonly live = new Map<string, Call>();
  private readonly ops = new Map<string, Operation>();
  /** Each live call's application's allowed international prefixes and call handling. */
  private readonly policies = new Map<string, { prefixes: readonly string[]; handling: ResolvedCallHandling }>();
  /** Live calls per application, counted as calls start and end (live-call-counts.ts): admission reads one number. */
  private readonly liveCounts = new LiveCallCounts();
  /** Calls the webhook fallback was applied to (once per call). */
  private readonly fellBack = new Set<string>();
  private readonly limiter: CallLimiter;
  private readonly conferences = new ConferenceRegistry();
  private detachHealth?: () => void;
  private health?: WebhookHealthSignal;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private closing = false;

  constructor(private readonly opts: CallServiceOptions) {
    super();
    this.store = opts.store;
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? nullLogger;
    this.limiter = new CallLimiter(this.clock);
  }

  /**
   * Follows an application's webhook health: while it is failing, new inbound calls of it get
   * its fallback at once, and when it starts failing its unanswered inbound calls get it.
   * Replaces an earlier signal.
   */
  attachWebhookHealth(signal: WebhookHealthSignal): void {
    this.detachHealth?.();
    this.health = signal;
    this.detachHealth = signal.on('failing', ({ applicationId }) => {
      for (const call of this.live.values()) {
        if (call.applicationId === applicationId) this.fallbackIfWaiting(call, 'webhooks-failing');
      }
    });
  }

  /**
   * A webhook delivery failed (an attempt, retryable or not). When it carried a call's
   * call.incoming, the application cannot have heard of the call: the fallback runs now
   * instead of after the no-answer timeout.
   */
  webhookDeliveryFailed(info: { callId?: string; eventType: string }): void {
    if (info.eventType !== 'call.incoming' || !info.callId) return;
    const call = this.live.get(info.callId);
    if (call) this.fallbackIfWaiting(call, 'incoming-delivery-failed');
  }

  /** Takes an admission for an outbound call of `app` (CallLimiter) or throws CALL_LIMIT_EXCEEDED / RATE_LIMITED. */
  private admitOutbound(app: ApplicationRecord): void {
    const admission = this.limiter.admit(app.id, this.liveCountOf(app.id), app.limits);
    if (admission.ok) return;
    throw admission.limit === 'concurrent'
      ? new CallError('CALL_LIMIT_EXCEEDED', `application ${app.id} already has ${app.limits.maxConcurrentCalls} calls up (maxConcurrentCalls)`)
      : new CallError('RATE_LIMITED', `application ${app.id} may start ${app.limits.callsPerSecond} calls per second (callsPerSecond)`);
  }

  /** Live calls of one application in this process (not ended; O(1)). */
  liveCountOf(applicationId: string): number {
    return this.liveCounts.of(applicationId);
  }

  private handlingOf(app: ApplicationRecord): ResolvedCallHandling {
    return resolveCallHandling(app.callHandling, {
      unansweredTimeoutMs: this.opts.unansweredTimeoutMs ?? 30_000,
      unansweredReject: this.opts.unansweredReject ?? 'none',
    });
  }

  private async loadApp(applicationId: string): Promise<ApplicationRecord> {
    const app = await this.store.tenancy.applications.get(applicationId);
    if (!app) throw new CallError('NOT_CONFIGURED', `no application ${applicationId}`);
    return app;
  }

  /** DESTINATION_NOT_ALLOWED unless the call's application may dial `target` (destination-policy.ts). */
  private assertDestination(prefixes: readonly string[], target: Participant): void {
    if (target.kind === 'phone' && !isDestinationAllowed(target.number, prefixes, this.opts.homeCountryCode)) {
      throw new CallError('DESTINATION_NOT_ALLOWED', `calls to ${target.number} are not allowed for this application`);
    }
  }

  /** Live calls in this process. */
  get liveCount(): number {
    return this.live.size;
  }

  private assertOpen(): void {
    if (this.closing) throw new CallError('CLOSED', 'the call service is closed');
  }

  /** Synchronous on purpose: admission (CallLimiter) and live.set must happen in one tick. */
  private newCall(app: ApplicationRecord, direction: 'inbound' | 'outbound', from: Participant, to: Participant, callbackUrl: string | null, format?: string, conference?: { locator: string }): Call {
    const id = randomUUID();
    const journal = new CallJournal(this.store, this.logger, () => callbackUrl ?? app.callbackUrl, format);
    const call = new Call({
      id, applicationId: app.id, direction, from, to, callbackUrl, journal, clock: this.clock, logger: this.logger, buildCdrs,
      ...(this.opts.mixerFactory ? { mixerFactory: this.opts.mixerFactory } : {}),
      ...(conference ? { conference } : {}),
    });
    this.policies.set(id, { prefixes: app.limits.allowedDestinationPrefixes, handling: this.handlingOf(app) });
    this.live.set(id, call);
    this.liveCounts.add(call.id, call.applicationId);
    // The state turns 'ended' before the end is journaled and 'ended' emitted: the call stops
    // counting against the limit at that moment, as when liveCountOf filtered on the state.
    call.on('state', ({ to }) => {
      if (to === 'ended') this.liveCounts.remove(call.id);
    });
    call.once('ended', () => {
      void call.journal.settled().then(() => { this.forget(id); });
    });
    return call;
  }

  private forget(id: string): void {
    const call = this.live.get(id);
    if (call) this.liveCounts.remove(call.id);
    this.live.delete(id);
    this.policies.delete(id);
    this.fellBack.delete(id);
  }

  /** Takes an incoming call (from an adapter); journals call.incoming and starts the no-answer timer. */
  async incoming(channel: Channel, media: MediaEndpoint, info: IncomingInfo): Promise<Call> {
    this.assertOpen();
    const app = await this.loadApp(info.applicationId);
    const admission = this.limiter.admit(app.id, this.liveCountOf(app.id), app.limits);
    const call = this.newCall(app, 'inbound', info.from, info.to, null);
    const handling = this.policies.get(call.id)!.handling;
    const leg = new Leg(randomUUID(), call.id, info.from, 'caller', 'inbound', channel, media, this.clock.now());
    const row = call.record();
    await call.addLeg(leg, {
      before: async (tx) => { await tx.calls.calls.insert(row); },
      // A refused call is recorded (row, CDR, call.ended) but never offered to the application.
      events: admission.ok ? [call.event('call.incoming', { from: info.from, to: info.to, legId: leg.id })] : [],
    }).catch(async (err: unknown) => {
      this.forget(call.id);
      await Promise.allSettled([channel.reject('none'), media.close()]);
      throw err;
    });
    if (!admission.ok) {
      const reason = admission.limit === 'concurrent' ? 'concurrent-call-limit' : 'call-rate-limit';
      this.logger.info({ callId: call.id, applicationId: app.id, limit: admission.limit }, 'inbound call refused by a limit');
      await this.rejectUnanswered(call, leg, handling.limitReject, reason);
      return call;
    }
    this.armUnanswered(call, leg, handling);
    if (this.opts.autoRing ?? true) {
      await channel.ring().then(() => call.state === 'incoming' && leg.transition('ringing', this.clock.now()) ? call.transition('ringing', 'call.ringing', { legId: leg.id }) : undefined)
        .catch((err: unknown) => this.logger.warn({ callId: call.id, err: String(err) }, 'could not send ringing'));
    }
    this.emit('incoming', call);
    if (this.health?.isFailing(app.id)) this.fallbackIfWaiting(call, 'webhooks-failing');
    return call;
  }

  /** Refuses an unanswered inbound call; the CDR says `reason` (by system) and the status sent. */
  private async rejectUnanswered(call: Call, leg: Leg, how: RejectReason, reason: string): Promise<void> {
    call.expectEnd({ by: 'system', reason });
    await leg.channel.reject(how).catch(() => {});
    await call.end({ by: 'system', reason, ...(leg.hangup?.sipStatus !== undefined ? { sipStatus: leg.hangup.sipStatus } : {}) });
  }

  private armUnanswered(call: Call, leg: Leg, handling: ResolvedCallHandling): void {
    let timer: TimerHandle | undefined = this.clock.setTimeout(() => {
      timer = undefined;
      if (!isUnanswered(call.state)) return;
      void this.rejectUnanswered(call, leg, handling.unansweredReject, 'no-answer');
    }, handling.unansweredTimeoutMs);
    call.on('state', ({ to }) => {
      if (!isUnanswered(to)) timer?.cancel();
    });
  }

  /**
   * The application's webhook fallback, once per call, for an inbound call nobody answered yet
   * (an answered call is the application's: it may be driving it through the API).
   */
  private fallbackIfWaiting(call: Call, reason: string): void {
    if (call.direction !== 'inbound' || !isUnanswered(call.state) || this.fellBack.has(call.id)) return;
    const policy = this.policies.get(call.id);
    const leg = call.primaryLeg;
    if (!policy || !leg) return;
    this.fellBack.add(call.id);
    const f = policy.handling.webhookFallback;
    this.logger.warn({ callId: call.id, applicationId: call.applicationId, action: f.action, reason }, 'webhooks failing: applying the fallback');
    this.emit('fallback', call, { action: f.action, reason });
    void (async () => {
      await call.journal.record({ events: [call.event('call.fallback', { action: f.action, reason })] }).catch(() => {});
      if (f.action === 'hangup') return this.rejectUnanswered(call, leg, policy.handling.unansweredReject, 'webhook-failure');
      const answered = await this.runSystem(call, 'answer', {});
      if (answered.code >= 300) return;
      if (f.action === 'apology') {
        await this.runSystem(call, 'play', { sources: [{ kind: 'tts', text: f.text }] });
        await this.runSystem(call, 'hangup', {});
        return;
      }
      const target = fallbackTarget(f.target);
      const t = target ? await this.runSystem(call, 'transferBlind', { target }) : { code: 400 };
      if (t.code >= 300) await this.runSystem(call, 'hangup', {});
    })().catch((err: unknown) => {
      this.logger.error({ callId: call.id, err: String(err) }, 'webhook fallback failed; ending the call');
      void call.end({ by: 'system', reason: 'webhook-failure' });
    });
  }

  /** Runs an operation on the node's behalf (no principal check) and waits for its result. */
  private async runSystem(call: Call, name: string, params: Record<string, unknown>): Promise<{ code: number }> {
    if (call.state === 'ending' || call.state === 'ended') return { code: 410 };
    const def = OPERATIONS.get(name)!;
    const p = def.validate(asParams(params), call);
    this.assertDialAllowed(call, name, p);
    const op = await this.start(call, name, params, { principal: ADMIN }, p);
    return op.done;
  }

  /** Operations that dial a new leg pass the destination policy before they start. */
  private assertDialAllowed(call: Call, name: string, p: unknown): void {
    if (name === 'createCall') return; // checked in createCall, against the application itself
    const target = (p as { target?: unknown } | null)?.target;
    if (target && typeof target === 'object' && 'kind' in target) {
      this.assertDestination(this.policies.get(call.id)?.prefixes ?? [], target as Participant);
    }
  }

  private env(call: Call): OperationEnv {
    const dialLeg: DialLeg = async (c, target, o) => {
      // Every outbound leg, whichever operation places it, obeys the destination policy.
      this.assertDestination(this.policies.get(c.id)?.prefixes ?? [], target);
      const f = this.opts.channelFactory;
      if (!f) throw new CallError('NOT_CONFIGURED', 'no channel factory is configured for outbound legs');
      const place = async (): Promise<Leg> => {
        // Every leg of a call lives in the media worker of its first leg: bridges and mixers only
        // join endpoints of one worker.
        const near = [...c.legs.values()].find((l) => !l.media.closed)?.media;
        const { channel, media } = await f.dial(target, {
          ...(o.callerId ? { callerId: o.callerId } : {}), ...(o.ringTimeoutMs ? { ringTimeoutMs: o.ringTimeoutMs } : {}), ...(near ? { near } : {}),
        });
        const leg = new Leg(randomUUID(), c.id, target, o.role, 'outbound', channel, media, this.clock.now());
        await c.addLeg(leg);
        return leg;
      };
      // A conference's first legs have nobody to be placed near: dial them one after another.
      const placed = [...c.legs.values()].some((l) => !l.media.closed);
      return c.conference && !placed ? this.conferences.firstDial(c.id, place) : place();
    };
    return {
      clock: this.clock, newId: randomUUID, recordingsDir: this.opts.recordingsDir, ...(this.opts.mediaDir ? { mediaDir: this.opts.mediaDir } : {}), dialLeg,
      liveCall: (id) => { const c = this.live.get(id); return c?.applicationId === call.applicationId ? c : undefined; },
      allowedDestinationPrefixes: this.policies.get(call.id)?.prefixes ?? [],
      ...(this.opts.synthesizer ? { synthesizer: this.opts.synthesizer } : {}),
      ...(this.opts.recognizer ? { recognizer: this.opts.recognizer } : {}),
      ...(this.opts.transcriber ? { transcriber: this.opts.transcriber } : {}),
      ...(this.opts.channelFactory ? { channelFactory: this.opts.channelFactory } : {}),
      ...(this.opts.mixerFactory ? { mixerFactory: this.opts.mixerFactory } : {}),
      ...(this.opts.mediaStreamer ? { mediaStreamer: this.opts.mediaStreamer } : {}),
      ...(this.opts.homeCountryCode ? { homeCountryCode: this.opts.homeCountryCode } : {}),
    };
  }

  private visibleLive(who: Principal, callId: string): Call {
    const call = this.live.get(callId);
    if (!call || (who.kind === 'application' && who.applicationId !== call.applicationId)) throw new CallError('CALL_NOT_FOUND', `no call ${callId}`);
    return call;
  }

  private async start(call: Call, name: string, params: unknown, o: ExecuteOptions, p: unknown): Promise<Operation> {
    const def = OPERATIONS.get(name)!;
    const op = new Operation(randomUUID(), def, p, call, o.operationContext ?? null, this.env(call), o.callbackUrl ?? null);
    this.ops.set(op.id, op);
    void op.done.then(() => this.clock.setTimeout(() => this.ops.delete(op.id), 60_000));
    await op.run();
    return op;
  }

  /** Runs `operationName` on a live call; resolves once it started (await `.done` for its result). */
  async execute(callId: string, operationName: string, params: unknown, o: ExecuteOptions): Promise<Operation> {
    this.assertOpen();
    const call = this.visibleLive(o.principal, callId);
    call.assertOpen();
    const def = OPERATIONS.get(operationName);
    if (!def || def.name === 'createCall') throw new CallError('UNKNOWN_OPERATION', `no operation ${operationName}`);
    if (call.state === 'ending' || call.state === 'ended') throw new CallError('INVALID_STATE', `call ${callId} has ended`);
    const p = def.validate(asParams(params), call);
    this.assertDialAllowed(call, operationName, p);
    assertLegOfCall(call, operationName, p);
    return this.start(call, operationName, params, o, p);
  }

  /** Places an outbound call for the principal's application. */
  async createCall(params: unknown, o: ExecuteOptions): Promise<{ call: Call; operation: Operation }> {
    this.assertOpen();
    if (o.principal.kind !== 'application') throw new CallError('VALIDATION_FAILED', 'an outbound call belongs to an application: use its key', [{ path: '', message: 'needs an application principal' }]);
    const p = createCallOp.validate(asParams(params), undefined as never);
    const app = await this.loadApp(o.principal.applicationId);
    this.assertDestination(app.limits.allowedDestinationPrefixes, p.target);
    this.assertOpen();
    this.admitOutbound(app);
    const from: Participant = p.callerId ?? { kind: 'application', applicationId: app.id };
    const call = this.newCall(app, 'outbound', from, p.target, p.callbackUrl ?? null, o.callbackFormat);
    const row = call.record();
    await call.journal.record({
      write: async (tx) => { await tx.calls.calls.insert(row); },
      events: [call.event('call.created', { from, to: p.target, ...(o.operationContext !== undefined ? { operationContext: o.operationContext } : {}) })],
    }).catch((err: unknown) => {
      this.forget(call.id);
      throw err;
    });
    const operation = await this.start(call, 'createCall', params, o, p);
    return { call, operation };
  }

  /**
   * Find-or-create the conference `locator` of the principal's application: a call with no
   * first leg (direction 'outbound', from = to = the application), established at once, whose
   * parties are added with addParticipant (docs/calls.md "Conferences"). A new one journals
   * call.created {from, to, conference: {locator}} with its row, then call.answered {conference}
   * with the state change to established (faces report it connected, e.g. ACS CallConnected).
   * It stays open while nobody is in it, until hung up or idle for idleTimeoutMs; its CDR is
   * written when it ends like any call's. `created` says whether this call made it.
   */
  async openConference(principal: Principal, o: OpenConferenceOptions): Promise<{ call: Call; created: boolean }> {
    this.assertOpen();
    if (principal.kind !== 'application') throw new CallError('VALIDATION_FAILED', 'a conference belongs to an application: use its key', [{ path: '', message: 'needs an application principal' }]);
    const issues: { path: string; message: string }[] = [];
    const locator: unknown = o.locator;
    if (typeof locator !== 'string' || locator.length === 0 || locator.length > MAX_LOCATOR || /[\u0000-\u001f\u007f]/.test(locator)) {
      issues.push({ path: '/locator', message: `must be 1-${MAX_LOCATOR} printable characters` });
    }
    if (o.callbackUrl !== undefined && !isHttpUrl(o.callbackUrl)) issues.push({ path: '/callbackUrl', message: 'must be an http(s) URL' });
    const idleMs = o.idleTimeoutMs ?? this.opts.conferenceIdleTimeoutMs ?? DEFAULT_CONFERENCE_IDLE_MS;
    if (!Number.isInteger(idleMs) || idleMs < 1000 || idleMs > 86_400_000) issues.push({ path: '/idleTimeoutMs', message: 'must be an integer from 1000 to 86400000' });
    if (issues.length > 0) throw new CallError('VALIDATION_FAILED', issues.map((i) => `${i.path} ${i.message}`).join('; '), issues);
    const appId = principal.applicationId;
    return this.conferences.open(appId, o.locator, async () => {
      const app = await this.loadApp(appId);
      this.assertOpen();
      this.admitOutbound(app);
      const me: Participant = { kind: 'application', applicationId: app.id };
      const conference = { locator: o.locator };
      const call = this.newCall(app, 'outbound', me, me, o.callbackUrl ?? null, o.callbackFormat, conference);
      const row = call.record();
      await call.journal.record({
        write: async (tx) => { await tx.calls.calls.insert(row); },
        events: [call.event('call.created', { from: me, to: me, conference })],
      }).catch((err: unknown) => {
        this.forget(call.id);
        throw err;
      });
      if (o.answeredEvent === 'firstAnswer') {
        await call.transition('established');
        announceOnFirstAnswer(call, { conference });
      } else {
        await call.transition('established', 'call.answered', { conference });
      }
      watchConferenceIdle(call, this.clock, idleMs);
      this.logger.info({ callId: call.id, applicationId: app.id, locator: o.locator }, 'conference opened');
      return call;
    });
  }

  /**
   * A caller dialed a meeting number: joins the conference `meeting:<meetingId>` of the
   * number's application, found or opened (./conference-join.ts, docs/calls.md "Meeting numbers").
   */
  joinConference(info: JoinConferenceInfo, connect: ConnectLeg): Promise<JoinOutcome> {
    return joinConference({
      clock: this.clock, logger: this.logger,
      assertOpen: () => this.assertOpen(),
      loadApp: (id) => this.loadApp(id),
      handlingOf: (app) => this.handlingOf(app),
      openConference: (p, o) => this.openConference(p, o),
      firstDial: (id, make) => this.conferences.firstDial(id, make),
    }, info, connect);
  }

  /** A live call object (for adapters and tests), if visible. */
  getLive(who: Principal, callId: string): Call | undefined {
    try {
      return this.visibleLive(who, callId);
    } catch {
      return undefined;
    }
  }

  /** A call (live or ended) as stored. */
  async get(who: Principal, callId: string): Promise<CallView> {
    const r = await this.store.calls.calls.get(callId);
    if (!r || (who.kind === 'application' && who.applicationId !== r.applicationId)) throw new CallError('CALL_NOT_FOUND', `no call ${callId}`);
    return { ...r, legs: await this.store.calls.calls.legs(callId) };
  }

  /** Calls, oldest first, one page; an application sees only its own. */
  async list(who: Principal, q: Omit<CallListQuery, 'applicationId'> = {}): Promise<CallRecord[]> {
    return this.store.calls.calls.list({ ...q, ...(who.kind === 'application' ? { applicationId: who.applicationId } : {}) });
  }

  /** An operation: live ones from memory, finished ones from the store. */
  async getOperation(who: Principal, id: string): Promise<OperationInfo> {
    const live = this.ops.get(id);
    if (live && (who.kind === 'admin' || who.applicationId === live.call.applicationId)) return live.info();
    const r = await this.store.calls.operations.get(id);
    if (!r || (who.kind === 'application' && who.applicationId !== r.applicationId)) throw new CallError('OPERATION_NOT_FOUND', `no operation ${id}`);
    const res = r.result as { code: number; subcode: number; message: string } | null;
    return { id: r.id, name: r.name, callId: r.callId, state: r.state as OperationInfo['state'], operationContext: r.operationContext, ...(res ? { result: { code: res.code, subcode: res.subcode, message: res.message } } : {}) };
  }

  /** Ends and closes every live call, then emits 'closed'; idempotent. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.detachHealth?.();
    await Promise.allSettled([...this.live.values()].map((c) => c.close()));
    this.live.clear();
    this.liveCounts.clear();
    this.emit('closed');
  }
}

function isHttpUrl(u: string): boolean {
  try {
    const p = new URL(u).protocol;
    return p === 'http:' || p === 'https:';
  } catch {
    return false;
  }
}

/** Operations whose `legId` names a leg of ANOTHER call (not checked against this one). */
const FOREIGN_LEG_OPERATIONS = new Set(['moveParticipant']);

/**
 * An operation naming a `legId` of this call that is not live fails at once with LEG_NOT_FOUND
 * (a 404 to the API) instead of being accepted and failing a moment later.
 */
function assertLegOfCall(call: Call, operationName: string, p: unknown): void {
  const legId = (p as { legId?: unknown } | null)?.legId;
  if (typeof legId !== 'string' || FOREIGN_LEG_OPERATIONS.has(operationName)) return;
  if (!call.legs.get(legId)?.live) throw new CallError('LEG_NOT_FOUND', `no live leg ${legId} in call ${call.id}`);
}

/** The fallback's transfer target as a participant: E.164 → phone, sip(s): URI → SIP. */
function fallbackTarget(t: string): Participant | undefined {
  if (/^\+[1-9]\d{1,14}$/.test(t)) return { kind: 'phone', number: t };
  if (/^sips?:[^\s@]+@\S+$/.test(t)) return { kind: 'sip', uri: t };
  return undefined;
}
