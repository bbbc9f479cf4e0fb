// A live call: its legs, its state (CallState, ./call-state.ts) and everything that must
// happen when a leg rings, answers or hangs up. Every state change goes through transition()
// here and is written with its DomainEvent in one transaction (CallJournal), in order.
//
// When a call ends (end()): state → ending, running operations are cancelled (their final
// events are journaled first), live legs are hung up, media stats are read, then ONE
// transaction writes state ended + the CDRs + the call.ended event. Then the legs close.
//
// Close cascade: close() ends the call if it is not ended (by 'system', reason 'shutdown'),
// closes every leg, emits 'closed' once; afterwards assertOpen() throws CLOSED, so every
// operation on it is refused. The CallService closes its calls; a call never closes it.
import { EventEmitter } from 'node:events';
import type { Clock, Logger } from '../../lib/index.ts';
import type { CallRecord, CdrRecord, TransactionScope } from '../../store/index.ts';
import type { DomainEvent } from '../events/index.ts';
import type { HangupInfo, MediaStats, MixerFactory, Participant } from '../ports/index.ts';
import { CallError } from './call-error.ts';
import { callEvent, type CallJournal } from './call-journal.ts';
import { CallMix } from './call-mix.ts';
import { canCallTransition, isUnanswered, type CallState } from './call-state.ts';
import type { Leg } from './leg.ts';

/** Speech synthesis used by the call (CDR TTS usage). */
export interface TtsUsage {
  requests: number;
  characters: number;
  cachedHits: number;
}

/** What an operation registers so the call can stop it when it ends. */
export interface RunningOperation {
  readonly id: string;
  readonly name: string;
  /** Whether cancelAllMediaOperations stops it. */
  readonly media: boolean;
  /** Cancels with this reason; resolves after its final event was queued. */
  cancel(reason: 'cancelled' | 'callEnded'): Promise<void>;
}

export type JournalWrite = (tx: TransactionScope) => Promise<void>;

export interface CallEvents {
  state: [{ from: CallState; to: CallState }];
  /** A digit from any leg. */
  dtmf: [{ legId: string; digit: string; source: string }];
  utterance: [{ legId: string; rate: number; samples: Int16Array }];
  /** A leg was added or ended (conferences watch this for their idle timeout). */
  legs: [];
  ended: [HangupInfo];
  closed: [];
}

export interface CallInit {
  id: string;
  applicationId: string;
  direction: 'inbound' | 'outbound';
  from: Participant;
  to: Participant;
  /** Per-call callback override; null = the application's. */
  callbackUrl: string | null;
  journal: CallJournal;
  clock: Clock;
  logger: Logger;
  /** Builds the CDR rows when the call ends (src/core/cdr). */
  buildCdrs: (call: Call, stats: ReadonlyMap<string, MediaStats | undefined>) => CdrRecord[];
  /** Longest wait for a leg's hangup or stats while ending; default 5000 ms. */
  endWaitMs?: number;
  /** For conferences (addParticipant); default none (a third party cannot be mixed: NOT_CONFIGURED). */
  mixerFactory?: MixerFactory;
  /**
   * Set for a conference opened without a first leg (CallService.openConference,
   * ./conference-registry.ts); default none: an ordinary call. A conference does not end when
   * its last party leaves — only on hangup or its idle timeout.
   */
  conference?: { locator: string };
}

/** One entry of participants.updated. */
export interface ParticipantView {
  legId: string;
  participant: Participant;
  muted: boolean;
  onHold: boolean;
  role: string;
}

export class Call extends EventEmitter<CallEvents> {
  readonly id: string;
  readonly applicationId: string;
  readonly direction: 'inbound' | 'outbound';
  readonly from: Participant;
  readonly to: Participant;
  readonly callbackUrl: string | null;
  /** The conference this call is (CallInit.conference); undefined for an ordinary call. */
  readonly conference?: { readonly locator: string };
  readonly journal: CallJournal;
  readonly legs = new Map<string, Leg>();
  readonly times: { createdAt: number; ringingAt?: number; answeredAt?: number; endedAt?: number };
  readonly ttsUsage: TtsUsage = { requests: 0, characters: 0, cachedHits: 0 };
  readonly recordingIds: string[] = [];
  readonly operations = new Set<RunningOperation>();
  /**
   * Continuous DTMF subscriptions (operations/continuous-dtmf.ts): legId, or '*' for every leg →
   * the digits reported ('' = all). A matching digit becomes a dtmf.received event.
   */
  readonly continuousDtmf = new Map<string, string>();
  /** How the call ended, once ending. */
  endInfo?: HangupInfo;
  /** Media wiring: bridges or one conference mixer (./call-mix.ts). */
  readonly mix: CallMix;
  /** Pending addParticipant invitations: invitationId → the operation's id (cancelAddParticipant). */
  readonly invitations = new Map<string, string>();
  /** participants.updated so far (its `sequence`). */
  private participantsSeq = 0;
  private rosterOn = false;
  private _state: CallState;
  private _closed = false;
  private ending?: Promise<void>;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly buildCdrs: CallInit['buildCdrs'];
  private readonly endWaitMs: number;
  private dtmfSeq = 0;
  private expectedEnd?: HangupInfo;

  constructor(init: CallInit) {
    super();
    this.id = init.id;
    this.applicationId = init.applicationId;
    this.direction = init.direction;
    this.from = init.from;
    this.to = init.to;
    this.callbackUrl = init.callbackUrl;
    if (init.conference) this.conference = { locator: init.conference.locator };
    this.journal = init.journal;
    this.clock = init.clock;
    this.logger = init.logger;
    this.buildCdrs = init.buildCdrs;
    this.endWaitMs = init.endWaitMs ?? 5000;
    this._state = init.direction === 'inbound' ? 'incoming' : 'dialing';
    this.times = { createdAt: init.clock.now() };
    this.mix = new CallMix(() => this.legs.values(), init.mixerFactory);
  }

  get state(): CallState {
    return this._state;
  }

  get closed(): boolean {
    return this._closed;
  }

  /** The first leg: the caller of an inbound call, the callee of an outbound one. */
  get primaryLeg(): Leg | undefined {
    return this.legs.values().next().value;
  }

  liveLegs(): Leg[] {
    return [...this.legs.values()].filter((l) => l.live);
  }

  /** The roster as participants.updated reports it: live answered legs. */
  participantViews(): ParticipantView[] {
    return this.liveLegs().filter((l) => l.state === 'answered').map((l) => ({
      legId: l.id, participant: l.participant, muted: l.muted, onHold: l.onHold, role: l.role,
    }));
  }

  /**
   * Journals participants.updated {sequence, participants}. The roster is published from the
   * first participant operation on (addParticipant answered, mute, hold, remove); afterwards
   * every answer and hangup of a leg publishes it too. A plain two-party call never sends it,
   * so its event sequence stays call.incoming … call.ended.
   */
  publishParticipants(): Promise<void> {
    this.rosterOn = true;
    if (this.ending) return Promise.resolve();
    return this.journal.record({ events: [this.event('participants.updated', { sequence: ++this.participantsSeq, participants: this.participantViews() })] });
  }

  /** Whether participants.updated is being published (see publishParticipants). */
  get rosterPublished(): boolean {
    return this.rosterOn;
  }

  /** Starts publishing the roster on changes without publishing it now. */
  trackParticipants(): void {
    this.rosterOn = true;
  }

  assertOpen(): void {
    if (this._closed) throw new CallError('CLOSED', `call ${this.id} is closed`);
  }

  /** A DomainEvent of this call, stamped now. */
  event(type: string, data: Record<string, unknown>): ReturnType<typeof callEvent> {
    return callEvent(this.applicationId, this.id, this.clock.now(), type, data);
  }

  /** The one place call state changes; journals the change with `type` (if any) atomically. */
  transition(to: CallState, eventType?: string, data: Record<string, unknown> = {}): Promise<void> {
    const from = this._state;
    if (!canCallTransition(from, to)) {
      return Promise.reject(new CallError('INVALID_STATE', `call ${this.id} cannot go from ${from} to ${to}`));
    }
    const now = this.clock.now();
    this._state = to;
    if (to === 'ringing') this.times.ringingAt = now;
    if (to === 'established') this.times.answeredAt = now;
    this.emit('state', { from, to });
    const patch = {
      state: to, updatedAt: now,
      ...(to === 'ringing' ? { ringingAt: now } : {}),
      ...(to === 'established' ? { answeredAt: now } : {}),
    };
    return this.journal.record({
      write: async (tx) => { await tx.calls.calls.update(this.id, patch); },
      events: eventType ? [this.event(eventType, data)] : [],
    });
  }

  /**
   * Adds a leg and follows its ringing, answer, digits and hangup. The leg row is written in
   * one transaction with `before` (e.g. the call row itself) and `events`.
   */
  addLeg(leg: Leg, opts: { before?: JournalWrite; events?: readonly DomainEvent[] } = {}): Promise<void> {
    this.assertOpen();
    this.legs.set(leg.id, leg);
    leg.on('ringing', () => this.onLegRinging(leg));
    leg.on('answered', () => this.onLegAnswered(leg));
    leg.on('ended', (info) => this.onLegEnded(leg, info));
    leg.on('dtmf', (d) => this.onDtmf(leg, d.digit, d.source));
    leg.on('replaced', (r) => this.onLegReplaced(leg, r.previous));
    leg.on('utterance', (u) => this.emit('utterance', { legId: leg.id, ...u }));
    this.emit('legs');
    const now = this.clock.now();
    return this.journal.record({
      write: async (tx) => {
        await opts.before?.(tx);
        await tx.calls.calls.insertLeg({
          id: leg.id, callId: this.id, applicationId: this.applicationId, participant: leg.participant,
          role: leg.role, direction: leg.direction, state: leg.state, createdAt: now, ringingAt: null,
          answeredAt: null, endedAt: null, endReason: null, endedBy: null, sipStatus: null, updatedAt: now,
        });
      },
      events: opts.events ?? [],
    });
  }

  /** The call's row as first written. */
  record(): CallRecord {
    const now = this.times.createdAt;
    return {
      id: this.id, applicationId: this.applicationId, direction: this.direction, state: this._state,
      from: this.from, to: this.to, callbackUrl: this.callbackUrl, createdAt: now, ringingAt: null, answeredAt: null,
      endedAt: null, endReason: null, endedBy: null, sipStatus: null, updatedAt: now,
    };
  }

  /** Journals a leg's state change (no event of its own). */
  private journalLeg(leg: Leg): Promise<void> {
    const now = this.clock.now();
    const h = leg.hangup;
    return this.journal.record({
      write: async (tx) => {
        await tx.calls.calls.updateLeg(leg.id, {
          state: leg.state, updatedAt: now,
          ...(leg.times.ringingAt !== undefined ? { ringingAt: leg.times.ringingAt } : {}),
          ...(leg.times.answeredAt !== undefined ? { answeredAt: leg.times.answeredAt } : {}),
          ...(h ? { endedAt: leg.times.endedAt ?? now, endReason: h.reason, endedBy: h.by, sipStatus: h.sipStatus ?? null } : {}),
        });
      },
      events: [],
    }).catch(() => {});
  }

  /** Marks a leg answered (an inbound answer, or an outbound 200) and persists it. */
  legAnswered(leg: Leg): void {
    if (leg.transition('answered', this.clock.now())) void this.journalLeg(leg);
  }

  private onLegRinging(leg: Leg): void {
    if (!leg.transition('ringing', this.clock.now())) return;
    void this.journalLeg(leg);
    if (leg === this.primaryLeg && this._state === 'dialing') {
      this.transition('ringing', 'call.ringing', { legId: leg.id }).catch(() => {});
    }
  }

  private onLegAnswered(leg: Leg): void {
    this.legAnswered(leg);
    if (leg === this.primaryLeg && isUnanswered(this._state) && this.direction === 'outbound') {
      this.transition('established', 'call.answered', { legId: leg.id }).catch(() => {});
    }
    if (this.rosterPublished || leg.role === 'participant') void this.publishParticipants().catch(() => {});
  }

  private onLegEnded(leg: Leg, info: HangupInfo): void {
    if (!leg.transition('ended', this.clock.now(), info)) return;
    void this.journalLeg(leg);
    if (this.ending) return;
    const peer = leg.bridgedTo;
    if (peer?.live) {
      // A two-party bridge without its other half is nobody's call: hang up the survivor.
      peer.bridgedTo = undefined;
      leg.bridgedTo = undefined;
      // When the survivor was the last party, the call ends because of this hangup: the CDR
      // and call.ended say who left and why, not our consequential 'peer-hangup' BYE.
      if (this.liveLegs().every((l) => l === peer)) this.expectedEnd ??= { by: info.by, reason: info.reason };
      void peer.channel.hangup('peer-hangup').catch(() => {});
    }
    const live = this.liveLegs();
    if (live.length > 0 && this.mix.mode === 'mixed') {
      this.mix.arrange().catch((err: unknown) => this.logger.warn({ callId: this.id, err: String(err) }, 'conference not rearranged after a hangup'));
    }
    // The last answered party left: only ringing invitations remain, and nobody would be there
    // to greet them — the call is over (their INVITEs are cancelled as it ends).
    const lastParty = this._state === 'established' && leg.times.answeredAt !== undefined && !live.some((l) => l.state === 'answered');
    // A conference outlives its parties: it ends on hangup or its idle timeout (emitted below).
    if (!this.conference && (live.length === 0 || lastParty || (leg === this.primaryLeg && isUnanswered(this._state)))) {
      void this.end(this.expectedEnd ? { ...this.expectedEnd, ...(info.sipStatus !== undefined ? { sipStatus: info.sipStatus } : {}) } : info);
      return;
    }
    this.journal.record({ events: [this.event('participant.removed', { legId: leg.id, participant: leg.participant, reason: info.reason, by: info.by })] }).catch(() => {});
    if (this.rosterPublished && leg.times.answeredAt !== undefined) void this.publishParticipants().catch(() => {});
    this.emit('legs');
  }

  /**
   * moveParticipant, in the call the leg leaves: the leg ends here (reason 'moved', by local)
   * WITHOUT hanging its channel up or closing its media — another call adopts them. Its listeners
   * are dropped and it leaves this.legs (so ending this call never touches it); then the usual
   * consequences of a leg leaving follow (participant.removed, participants.updated, the call ends
   * when it was its last party). Call mix.exclude(leg) first.
   */
  releaseLeg(leg: Leg): void {
    if (!leg.live || this.legs.get(leg.id) !== leg) throw new CallError('LEG_NOT_FOUND', `no live leg ${leg.id} in call ${this.id}`);
    leg.removeAllListeners();
    this.onLegEnded(leg, { by: 'local', reason: 'moved' });
    this.legs.delete(leg.id);
  }

  /**
   * Another dialog took the leg's place (INVITE with Replaces, RFC 3891; the Leg already holds
   * the new party): the leg row's participant and participant.replaced {legId, previous,
   * participant} are written in one transaction, then the roster if it is published. The call's
   * own from/to stay as the call began.
   */
  private onLegReplaced(leg: Leg, previous: Participant): void {
    const now = this.clock.now();
    const participant = leg.participant;
    this.journal.record({
      write: async (tx) => { await tx.calls.calls.updateLeg(leg.id, { participant: { ...participant }, updatedAt: now }); },
      // While ending, the row and CDR still get the new party, but no event follows call.ended's.
      events: this.ending ? [] : [this.event('participant.replaced', { legId: leg.id, previous, participant })],
    }).catch((err: unknown) => this.logger.warn({ callId: this.id, legId: leg.id, err: String(err) }, 'participant.replaced not persisted'));
    if (this.rosterPublished && !this.ending && leg.state === 'answered') void this.publishParticipants().catch(() => {});
  }

  private onDtmf(leg: Leg, digit: string, source: string): void {
    this.emit('dtmf', { legId: leg.id, digit, source });
    const wanted = this.continuousDtmf.get(leg.id) ?? this.continuousDtmf.get('*');
    if (wanted !== undefined && (wanted === '' || wanted.includes(digit)) && !this.ending) {
      this.journal.record({ events: [this.event('dtmf.received', { legId: leg.id, digit, source, sequence: ++this.dtmfSeq })] }).catch(() => {});
    }
  }

  /**
   * Says how the call will end when its primary leg's hangup arrives (e.g. 'no-answer' just
   * before the no-answer reject is sent), so the CDR tells why rather than how.
   */
  expectEnd(info: HangupInfo): void {
    this.expectedEnd = info;
  }

  /** Ends the call for everyone (idempotent: later calls share the first one's promise). */
  end(info: HangupInfo): Promise<void> {
    this.ending ??= this.runEnd(info);
    return this.ending;
  }

  private async runEnd(info: HangupInfo): Promise<void> {
    this.endInfo = info;
    await this.transition('ending').catch(() => {});
    await Promise.allSettled([...this.operations].map((o) => o.cancel('callEnded')));
    await Promise.allSettled(this.liveLegs().map((l) => this.bounded(l.channel.hangup(info.by === 'remote' ? 'peer-hangup' : info.reason))));
    const now = this.clock.now();
    for (const l of this.liveLegs()) {
      // The adapter did not report the hangup in time: record it as ours.
      if (l.transition('ended', now, { by: 'local', reason: info.reason })) void this.journalLeg(l);
    }
    const stats = new Map<string, MediaStats | undefined>();
    await Promise.all([...this.legs.values()].map(async (l) => {
      stats.set(l.id, l.media.closed ? undefined : await this.bounded(l.media.stats()).catch(() => undefined));
    }));
    this._state = 'ended';
    this.times.endedAt = now;
    this.emit('state', { from: 'ending', to: 'ended' });
    const sipStatus = this.primaryLeg?.hangup?.sipStatus ?? info.sipStatus ?? null;
    const cdrs = this.buildCdrs(this, stats);
    await this.journal.record({
      write: async (tx) => {
        await tx.calls.calls.update(this.id, { state: 'ended', endedAt: now, endReason: info.reason, endedBy: info.by, sipStatus, updatedAt: now });
        await tx.calls.cdrs.insertMany(cdrs);
      },
      events: [this.event('call.ended', {
        reason: info.reason, by: info.by, ...(sipStatus !== null ? { sipStatus } : {}),
        durationMs: this.times.answeredAt !== undefined ? now - this.times.answeredAt : 0,
      })],
    }).catch((err: unknown) => this.logger.error({ callId: this.id, err: String(err) }, 'call end not persisted'));
    await this.mix.close().catch(() => {});
    await Promise.allSettled([...this.legs.values()].map((l) => l.close()));
    this.emit('ended', info);
  }

  private bounded<T>(p: Promise<T>): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      const t = this.clock.setTimeout(() => resolve(undefined), this.endWaitMs);
      p.then((v) => { t.cancel(); resolve(v); }, (e: unknown) => { t.cancel(); reject(e instanceof Error ? e : new Error(String(e))); });
    });
  }

  /** Ends the call if needed, closes every leg, emits 'closed'; idempotent. */
  async close(): Promise<void> {
    if (this._closed) return;
    await this.end({ by: 'system', reason: 'shutdown' });
    await this.journal.settled();
    this._closed = true;
    this.emit('closed');
  }
}
