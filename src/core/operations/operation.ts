// One command run against a call (answer, play, recognize …), with the one lifecycle every
// operation shares (STYLE.md rule 10):
//
// ```
//   validate ──(throws VALIDATION_FAILED: nothing runs, nothing stored)
//      │
//      ▼
//   running ──start() resolves, code 2xx──▶ completed
//      │    ──start() resolves non-2xx or throws──▶ failed
//      └────cancel() / the call ends──▶ cancelled
// ```
// The row (operations table) is written when it starts and when it ends, each time in the
// same transaction as its event; events echo the caller's operationContext. An operation is
// cancelled by aborting ctx.signal: definitions stop their media there, and the runner
// settles at once without waiting for start() to notice.
import type { Clock } from '../../lib/index.ts';
import type { Call, RunningOperation } from '../calls/call.ts';
import type { ChannelFactory, MediaStreamer, MixerFactory, Recognizer, Synthesizer, Transcriber } from '../ports/index.ts';
import { SUBCODE, isSuccess, type OperationOutcome, type OperationResult } from './operation-result.ts';
import type { Params } from './validate.ts';

export type OperationState = 'running' | 'completed' | 'failed' | 'cancelled';

/** What operations may use besides their call; wired by the CallService. */
export interface OperationEnv {
  clock: Clock;
  newId(): string;
  synthesizer?: Synthesizer;
  recognizer?: Recognizer;
  /** Free-form speech to text (live transcription, recognize 'speech' without choices); default none (NOT_CONFIGURED). */
  transcriber?: Transcriber;
  channelFactory?: ChannelFactory;
  mixerFactory?: MixerFactory;
  /** Audio and transcripts to an application's WebSocket; default none (startMediaStreaming fails with NOT_CONFIGURED). */
  mediaStreamer?: MediaStreamer;
  /** Directory recordings are written to, absolute (the adapter writes the file). */
  recordingsDir: string;
  /** Directory 'file' play sources are relative to (absolute); default none: paths used as given. */
  mediaDir?: string;
  /** Node's home country code (no '+'), for the outbound destination policy; default none. */
  homeCountryCode?: string;
  /** The call's application's allowed international prefixes. */
  allowedDestinationPrefixes: readonly string[];
  /** Adds an outbound leg to `call` (createCall, addParticipant, transfer). */
  dialLeg: import('./dial.ts').DialLeg;
  /** Another live call of the same application (consultative transfer across calls); undefined otherwise. */
  liveCall?(callId: string): Call | undefined;
}

export interface OperationContext {
  readonly operationId: string;
  readonly operationContext: string | null;
  readonly call: Call;
  /** Aborted on cancel() or when the call ends. */
  readonly signal: AbortSignal;
  readonly env: OperationEnv;
  /** Journals an event of this operation (operationId and operationContext added). */
  emit(type: string, data?: Record<string, unknown>): Promise<void>;
}

export interface OperationDefinition<P = unknown> {
  readonly name: string;
  /** Prefix of its lifecycle events ('play' → play.completed …). */
  readonly eventPrefix: string;
  /** 'all': completed/failed/cancelled events; 'failures': only failed (the call's own events say the rest). */
  readonly events: 'all' | 'failures';
  /** Also journal '<prefix>.started' when it starts; default false. */
  readonly startedEvent?: boolean;
  /** Stopped by cancelAllMediaOperations; default false. */
  readonly media?: boolean;
  /**
   * Not cancelled when the call ends; default false. For operations that end the call
   * themselves (reject, hangup) or report how it ended (createCall): their own result, not
   * 'call ended', is the truth.
   */
  readonly keepOnCallEnd?: boolean;
  /**
   * Fields added to each of its lifecycle events (completed, failed AND cancelled — a cancel
   * has no outcome of start() to carry them), e.g. addParticipant's participant and
   * invitationId; default none.
   */
  eventData?(params: P, operationId: string): Record<string, unknown>;
  /** Checks and normalizes params (JSON-safe result: it is stored). Throws CallError. */
  validate(params: Params, call: Call): P;
  start(ctx: OperationContext, params: P): Promise<OperationOutcome>;
}

export interface OperationInfo {
  id: string;
  name: string;
  callId: string;
  state: OperationState;
  operationContext: string | null;
  result?: OperationResult;
}

/** A running operation; settles `done` once. */
export class Operation implements RunningOperation {
  private _state: OperationState = 'running';
  private _result?: OperationResult;
  private readonly abort = new AbortController();
  private settle!: (r: OperationResult) => void;
  private finishing?: Promise<void>;
  /** Resolves with the result once the final event was journaled (never rejects). */
  readonly done: Promise<OperationResult>;
  readonly media: boolean;

  constructor(
    readonly id: string,
    private readonly def: OperationDefinition<any>,
    private readonly params: unknown,
    readonly call: Call,
    readonly operationContext: string | null,
    private readonly env: OperationEnv,
    private readonly callbackUrl: string | null,
  ) {
    this.done = new Promise((resolve) => { this.settle = resolve; });
    this.media = def.media ?? false;
  }

  get name(): string {
    return this.def.name;
  }

  get state(): OperationState {
    return this._state;
  }

  info(): OperationInfo {
    return { id: this.id, name: this.name, callId: this.call.id, state: this._state, operationContext: this.operationContext, ...(this._result ? { result: this._result } : {}) };
  }

  private eventData(extra?: Record<string, unknown>): Record<string, unknown> {
    return { operationId: this.id, operation: this.name, ...(this.operationContext !== null ? { operationContext: this.operationContext } : {}), ...extra };
  }

  private record(write: Parameters<Call['journal']['record']>[0]['write'], types: string[], extra?: Record<string, unknown>): Promise<void> {
    return this.call.journal.record({
      write, events: types.map((t) => this.call.event(t, this.eventData(extra))),
      ...(this.callbackUrl ? { callbackUrl: this.callbackUrl } : {}),
    });
  }

  /** Persists the row (+ started event), then runs the definition. Resolves once started. */
  async run(): Promise<void> {
    const now = this.env.clock.now();
    await this.record(async (tx) => {
      await tx.calls.operations.insert({
        id: this.id, callId: this.call.id, applicationId: this.call.applicationId, name: this.name, state: 'running',
        operationContext: this.operationContext, params: this.params as Record<string, unknown>, result: null, createdAt: now, updatedAt: now,
      });
    }, this.def.startedEvent ? [`${this.def.eventPrefix}.started`] : []);
    if (!this.def.keepOnCallEnd) this.call.operations.add(this);
    const ctx: OperationContext = {
      operationId: this.id, operationContext: this.operationContext, call: this.call, signal: this.abort.signal, env: this.env,
      emit: (type, data) => this.record(undefined, [type], data),
    };
    let started: Promise<OperationOutcome>;
    try {
      started = this.def.start(ctx, this.params);
    } catch (err) {
      started = Promise.reject(err);
    }
    started.then(
      (o) => this.finish(isSuccess(o.result) ? 'completed' : 'failed', o.result, o.data),
      (err: unknown) => this.finish('failed', { code: 500, subcode: SUBCODE.INTERNAL, message: err instanceof Error ? err.message : String(err) }),
    ).catch(() => {});
  }

  cancel(reason: 'cancelled' | 'callEnded' = 'cancelled'): Promise<void> {
    if (this._state !== 'running') return this.finishing ?? Promise.resolve();
    const result = reason === 'callEnded'
      ? { code: 410, subcode: SUBCODE.CALL_ENDED, message: 'the call ended' }
      : { code: 499, subcode: SUBCODE.CANCELLED, message: 'cancelled' };
    const f = this.finish('cancelled', result);
    this.abort.abort();
    return f;
  }

  private finish(state: OperationState, result: OperationResult, data?: Record<string, unknown>): Promise<void> {
    if (this._state !== 'running') return this.finishing ?? Promise.resolve();
    this._state = state;
    this._result = result;
    this.call.operations.delete(this);
    const wanted = this.def.events === 'all' || state === 'failed';
    const suffix = state === 'completed' ? 'completed' : state === 'failed' ? 'failed' : 'cancelled';
    const now = this.env.clock.now();
    this.finishing = this.record(
      async (tx) => { await tx.calls.operations.finish(this.id, state, { ...result, ...(data ? { data } : {}) }, now); },
      wanted ? [`${this.def.eventPrefix}.${suffix}`] : [],
      { result, ...this.def.eventData?.(this.params, this.id), ...data },
    ).catch(() => {}).then(() => this.settle(result));
    if (state !== 'cancelled') this.abort.abort(); // lets helpers release timers and listeners
    return this.finishing;
  }
}
