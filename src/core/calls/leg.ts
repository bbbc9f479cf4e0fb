// One party of a call: its signaling (Channel) and its media (MediaEndpoint), its role and its
// state (LegState in ./call-state.ts). A Leg only relays what its ports report; the Call
// decides what a leg's answer or hangup means for the call and makes it durable.
//
// Close cascade: close() → media endpoint closed, channel hung up if still up (reason
// 'closed') → 'closed' emitted once; afterwards every method rejects with CallError CLOSED.
// The Call closes its legs when it ends; a leg never closes its call.
//
// Replaced party (RFC 3891): when another dialog takes this leg's place (the channel emits
// 'replaced'), the leg stays — same id, call, bridge and media — and its `participant` becomes
// the new peer; the ones it replaced are kept, oldest first, in `previousParticipants`. The leg
// emits 'replaced' {previous, participant} so the Call can journal participant.replaced.
import { EventEmitter } from 'node:events';
import type { Channel, HangupInfo, MediaEndpoint, MediaOperation, Participant } from '../ports/index.ts';
import { CallError } from './call-error.ts';
import { canLegTransition, type LegState } from './call-state.ts';

export type LegRole = 'caller' | 'callee' | 'participant' | 'transfer-target';

export interface LegEvents {
  ringing: [];
  answered: [];
  /** A digit from this leg, whichever way it came (RFC 4733, in-band, SIP INFO). */
  dtmf: [{ digit: string; source: string }];
  utterance: [{ rate: number; samples: Int16Array }];
  /** Another dialog took this leg's place (INVITE with Replaces); `participant` is the new peer. */
  replaced: [{ previous: Participant; participant: Participant }];
  ended: [HangupInfo];
  closed: [];
}

export interface LegTimes {
  createdAt: number;
  ringingAt?: number;
  answeredAt?: number;
  endedAt?: number;
}

export class Leg extends EventEmitter<LegEvents> {
  private _state: LegState;
  private _closed = false;
  private _participant: Participant;
  /** The parties this leg had before INVITE/Replaces gave it a new one, oldest first; default none. */
  readonly previousParticipants: Participant[] = [];
  readonly times: LegTimes;
  /** How it ended, once ended. */
  hangup?: HangupInfo;
  /** The leg this one is bridged to (MediaEndpoint.connect), if any. */
  bridgedTo?: Leg;
  /** Others do not hear this leg (muteParticipant); applied by the call's CallMix. */
  muted = false;
  /** Out of the bridge/mix and hearing music (hold); applied by the call's CallMix. */
  onHold = false;
  /** Music played to this leg while held (hold operation), cancelled on unhold. */
  holdMusic?: MediaOperation;

  constructor(
    readonly id: string,
    readonly callId: string,
    participant: Participant,
    readonly role: LegRole,
    readonly direction: 'inbound' | 'outbound',
    readonly channel: Channel,
    readonly media: MediaEndpoint,
    now: number,
  ) {
    super();
    this._participant = participant;
    this._state = direction === 'inbound' ? 'incoming' : 'dialing';
    this.times = { createdAt: now };
    channel.on('ringing', () => this.emit('ringing'));
    channel.on('answered', () => this.emit('answered'));
    channel.on('hangup', (info) => this.emit('ended', info));
    channel.on('replaced', (r) => this.replaceParticipant(r.remote));
    channel.on('dtmf', (d) => this.emit('dtmf', { digit: d.digit, source: 'info' }));
    media.on('dtmf', (d) => this.emit('dtmf', { digit: d.digit, source: d.source }));
    media.on('utterance', (u) => this.emit('utterance', u));
  }

  /** The peer now: the original party, or the one whose INVITE with Replaces took its place. */
  get participant(): Participant {
    return this._participant;
  }

  /** Another dialog took this leg's place (RFC 3891): `next` is the party from now on. */
  private replaceParticipant(next: Participant): void {
    if (!this.live) return; // an ended leg keeps the party it ended with
    const previous = this._participant;
    this.previousParticipants.push(previous);
    this._participant = next;
    this.emit('replaced', { previous, participant: next });
  }

  get state(): LegState {
    return this._state;
  }

  get closed(): boolean {
    return this._closed;
  }

  get live(): boolean {
    return this._state !== 'ended';
  }

  /** Moves to `to` at `now`; false (and nothing changes) when the transition is not allowed. */
  transition(to: LegState, now: number, info?: HangupInfo): boolean {
    if (!canLegTransition(this._state, to)) return false;
    this._state = to;
    if (to === 'ringing') this.times.ringingAt = now;
    if (to === 'answered') this.times.answeredAt = now;
    if (to === 'ended') {
      this.times.endedAt = now;
      this.hangup = info ?? { by: 'system', reason: 'ended' };
    }
    return true;
  }

  /** Throws CLOSED once closed. */
  assertOpen(): void {
    if (this._closed) throw new CallError('CLOSED', `leg ${this.id} is closed`);
  }

  /** Releases media and signaling; idempotent. */
  async close(): Promise<void> {
    if (this._closed) return;
    this._closed = true;
    const work: Promise<unknown>[] = [];
    if (!this.media.closed) work.push(this.media.close());
    if (!this.channel.closed && this._state !== 'ended') work.push(this.channel.hangup('closed'));
    await Promise.allSettled(work);
    this.emit('closed');
  }
}
