// The API faces call: take an incoming call, place an outbound one, run operations on calls,
// read calls. Every method takes the principal; another application's call does not exist
// for it (CALL_NOT_FOUND).
//
// Close cascade: close() refuses new calls (CLOSED), closes every live call (each ends with
// reason 'shutdown', its CDR written), then emits 'closed'.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { nullLogger, systemClock, type Clock, type Logger, type TimerHandle } from '../../lib/index.ts';
import type { CallListQuery, CallRecord, LegRecord, Store } from '../../store/index.ts';
import { buildCdrs } from '../cdr/cdr-builder.ts';
import { createCall as createCallOp } from '../operations/create-call.ts';
import type { DialLeg } from '../operations/dial.ts';
import { Operation, type OperationEnv, type OperationInfo } from '../operations/operation.ts';
import { OPERATIONS } from '../operations/registry.ts';
import { asParams } from '../operations/validate.ts';
import type { Channel, ChannelFactory, MediaEndpoint, MixerFactory, Participant, Recognizer, RejectReason, Synthesizer } from '../ports/index.ts';
import { isDestinationAllowed, type Principal } from '../tenancy/index.ts';
import { Call } from './call.ts';
import { CallError } from './call-error.ts';
import { CallJournal } from './call-journal.ts';
import { isUnanswered } from './call-state.ts';
import { Leg } from './leg.ts';

export interface CallServiceOptions {
  store: Store;
  /** Default systemClock. */
  clock?: Clock;
  /** Default nullLogger. */
  logger?: Logger;
  /** Directory recordings are written to (absolute). Required. */
  recordingsDir: string;
  /** For TTS in prompts; default none (TTS sources fail with NOT_CONFIGURED). */
  synthesizer?: Synthesizer;
  /** For speech recognition; default none. */
  recognizer?: Recognizer;
  /** For outbound legs; default none (createCall, addParticipant fail with NOT_CONFIGURED). */
  channelFactory?: ChannelFactory;
  /** For three or more parties; default none. */
  mixerFactory?: MixerFactory;
  /** Home country code without '+' for the destination policy; default none (all E.164 is international). */
  homeCountryCode?: string;
  /** Reject an inbound call nobody answered after this long; default 30000 ms. */
  unansweredTimeoutMs?: number;
  /** How to reject it; default 'none' (the adapter sends 480). */
  unansweredReject?: RejectReason;
  /** Send 180 Ringing as soon as a call comes in; default true. */
  autoRing?: boolean;
}

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

export interface CallServiceEvents {
  /** A call came in (after call.incoming was committed). */
  incoming: [Call];
  closed: [];
}

export class CallService extends EventEmitter<CallServiceEvents> {
  private readonly live = new Map<string, Call>();
  private readonly ops = new Map<string, Operation>();
  /** Each live call's application's allowed international prefixes. */
  private readonly prefixes = new Map<string, readonly string[]>();
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private closing = false;

  constructor(private readonly opts: CallServiceOptions) {
    super();
    this.store = opts.store;
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? nullLogger;
  }

  /** Live calls in this process. */
  get liveCount(): number {
    return this.live.size;
  }

  private assertOpen(): void {
    if (this.closing) throw new CallError('CLOSED', 'the call service is closed');
  }

  private async newCall(applicationId: string, direction: 'inbound' | 'outbound', from: Participant, to: Participant, callbackUrl: string | null, format?: string): Promise<Call> {
    const app = await this.store.tenancy.applications.get(applicationId);
    if (!app) throw new CallError('NOT_CONFIGURED', `no application ${applicationId}`);
    const id = randomUUID();
    const journal = new CallJournal(this.store, this.logger, () => callbackUrl ?? app.callbackUrl, format);
    const call = new Call({ id, applicationId, direction, from, to, callbackUrl, journal, clock: this.clock, logger: this.logger, buildCdrs });
    this.prefixes.set(id, app.limits.allowedDestinationPrefixes);
    this.live.set(id, call);
    call.once('ended', () => {
      void call.journal.settled().then(() => { this.live.delete(id); this.prefixes.delete(id); });
    });
    return call;
  }

  /** Takes an incoming call (from an adapter); journals call.incoming and starts the no-answer timer. */
  async incoming(channel: Channel, media: MediaEndpoint, info: IncomingInfo): Promise<Call> {
    this.assertOpen();
    const call = await this.newCall(info.applicationId, 'inbound', info.from, info.to, null);
    const leg = new Leg(randomUUID(), call.id, info.from, 'caller', 'inbound', channel, media, this.clock.now());
    const row = call.record();
    await call.addLeg(leg, {
      before: async (tx) => { await tx.calls.calls.insert(row); },
      events: [call.event('call.incoming', { from: info.from, to: info.to, legId: leg.id })],
    }).catch(async (err: unknown) => {
      this.live.delete(call.id);
      await Promise.allSettled([channel.reject('none'), media.close()]);
      throw err;
    });
    this.armUnanswered(call, leg);
    if (this.opts.autoRing ?? true) {
      await channel.ring().then(() => call.state === 'incoming' && leg.transition('ringing', this.clock.now()) ? call.transition('ringing', 'call.ringing', { legId: leg.id }) : undefined)
        .catch((err: unknown) => this.logger.warn({ callId: call.id, err: String(err) }, 'could not send ringing'));
    }
    this.emit('incoming', call);
    return call;
  }

  private armUnanswered(call: Call, leg: Leg): void {
    let timer: TimerHandle | undefined = this.clock.setTimeout(() => {
      timer = undefined;
      if (!isUnanswered(call.state)) return;
      call.expectEnd({ by: 'system', reason: 'no-answer' });
      void leg.channel.reject(this.opts.unansweredReject ?? 'none').catch(() => {})
        .then(() => call.end({ by: 'system', reason: 'no-answer', ...(leg.hangup?.sipStatus !== undefined ? { sipStatus: leg.hangup.sipStatus } : {}) }));
    }, this.opts.unansweredTimeoutMs ?? 30_000);
    call.on('state', ({ to }) => {
      if (!isUnanswered(to)) timer?.cancel();
    });
  }

  private env(call: Call): OperationEnv {
    const dialLeg: DialLeg = async (c, target, o) => {
      const f = this.opts.channelFactory;
      if (!f) throw new CallError('NOT_CONFIGURED', 'no channel factory is configured for outbound legs');
      const { channel, media } = await f.dial(target, { ...(o.callerId ? { callerId: o.callerId } : {}), ...(o.ringTimeoutMs ? { ringTimeoutMs: o.ringTimeoutMs } : {}) });
      const leg = new Leg(randomUUID(), c.id, target, o.role, 'outbound', channel, media, this.clock.now());
      await c.addLeg(leg);
      return leg;
    };
    return {
      clock: this.clock, newId: randomUUID, recordingsDir: this.opts.recordingsDir, dialLeg,
      allowedDestinationPrefixes: this.prefixes.get(call.id) ?? [],
      ...(this.opts.synthesizer ? { synthesizer: this.opts.synthesizer } : {}),
      ...(this.opts.recognizer ? { recognizer: this.opts.recognizer } : {}),
      ...(this.opts.channelFactory ? { channelFactory: this.opts.channelFactory } : {}),
      ...(this.opts.mixerFactory ? { mixerFactory: this.opts.mixerFactory } : {}),
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
    return this.start(call, operationName, params, o, p);
  }

  /** Places an outbound call for the principal's application. */
  async createCall(params: unknown, o: ExecuteOptions): Promise<{ call: Call; operation: Operation }> {
    this.assertOpen();
    if (o.principal.kind !== 'application') throw new CallError('VALIDATION_FAILED', 'an outbound call belongs to an application: use its key', [{ path: '', message: 'needs an application principal' }]);
    const p = createCallOp.validate(asParams(params), undefined as never);
    const app = await this.store.tenancy.applications.get(o.principal.applicationId);
    if (!app) throw new CallError('NOT_CONFIGURED', `no application ${o.principal.applicationId}`);
    if (p.target.kind === 'phone' && !isDestinationAllowed(p.target.number, app.limits.allowedDestinationPrefixes, this.opts.homeCountryCode)) {
      throw new CallError('DESTINATION_NOT_ALLOWED', `calls to ${p.target.number} are not allowed for this application`);
    }
    const from: Participant = p.callerId ?? { kind: 'application', applicationId: app.id };
    const call = await this.newCall(app.id, 'outbound', from, p.target, p.callbackUrl ?? null, o.callbackFormat);
    const row = call.record();
    await call.journal.record({
      write: async (tx) => { await tx.calls.calls.insert(row); },
      events: [call.event('call.created', { from, to: p.target, ...(o.operationContext !== undefined ? { operationContext: o.operationContext } : {}) })],
    }).catch((err: unknown) => {
      this.live.delete(call.id);
      throw err;
    });
    const operation = await this.start(call, 'createCall', params, o, p);
    return { call, operation };
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
    await Promise.allSettled([...this.live.values()].map((c) => c.close()));
    this.live.clear();
    this.emit('closed');
  }
}
