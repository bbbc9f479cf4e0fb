// In-memory Channel for unit tests of core (and of faces/robots driving core): records what
// core asked for and lets the test play the peer (ring, answer, hang up, send INFO digits, be
// replaced by another dialog).
// Not for production: it signals nothing to anyone.
import { EventEmitter } from 'node:events';
import type { Channel, ChannelEvents, HangupInfo, Participant, ReferOutcome, RejectReason } from '../ports/index.ts';

const REJECT_STATUS: Record<RejectReason, number> = { busy: 486, forbidden: 403, none: 480, decline: 603, 'no-answer': 480, unavailable: 503 };

export class FakeChannel extends EventEmitter<ChannelEvents> implements Channel {
  private static next = 1;
  readonly id = `fake-ch-${FakeChannel.next++}`;
  closed = false;
  answered = false;
  ended = false;
  /** Every call core made, in order: 'ring', 'answer', 'reject:busy', 'hangup:normal' … */
  readonly calls: string[] = [];
  /** What refer() resolves with; default accepted. */
  referOutcome: ReferOutcome = { accepted: true, sipStatus: 202 };

  constructor(public remote: Participant, readonly local: Participant, readonly direction: 'inbound' | 'outbound') {
    super();
  }

  private check(): void {
    if (this.closed) throw new Error('channel closed');
  }

  /** Ends the leg as the adapter would: 'hangup' then 'closed', once. */
  end(info: HangupInfo): void {
    if (this.ended) return;
    this.ended = true;
    this.emit('hangup', info);
    this.closed = true;
    this.emit('closed');
  }

  async ring(): Promise<void> { this.check(); this.calls.push('ring'); }
  async answer(): Promise<void> { this.check(); this.calls.push('answer'); this.answered = true; }
  async reject(reason: RejectReason): Promise<void> {
    this.check();
    this.calls.push(`reject:${reason}`);
    this.end({ by: 'local', reason: 'rejected', sipStatus: REJECT_STATUS[reason] });
  }
  async redirect(targets: readonly string[]): Promise<void> {
    this.check();
    this.calls.push(`redirect:${targets.join(',')}`);
    this.end({ by: 'local', reason: 'redirected', sipStatus: 302 });
  }
  async hangup(reason = 'normal'): Promise<void> {
    if (this.ended) return;
    this.calls.push(`hangup:${reason}`);
    this.end({ by: 'local', reason, ...(this.answered ? { sipStatus: 200 } : { sipStatus: 487 }) });
  }
  async refer(target: string): Promise<ReferOutcome> { this.check(); this.calls.push(`refer:${target}`); return this.referOutcome; }
  async hold(): Promise<void> { this.check(); this.calls.push('hold'); }
  async unhold(): Promise<void> { this.check(); this.calls.push('unhold'); }
  async sendInfo(contentType: string): Promise<void> { this.check(); this.calls.push(`info:${contentType}`); }

  // The peer's side, driven by the test.
  peerRings(): void { this.emit('ringing', { early: false }); }
  peerAnswers(): void { this.answered = true; this.emit('answered', {}); }
  peerHangsUp(reason = 'normal', sipStatus = 200): void { this.end({ by: 'remote', reason, sipStatus }); }
  peerInfoDigit(digit: string): void { this.emit('dtmf', { digit }); }
  /** Another dialog took this channel's place (INVITE with Replaces): `remote` is the new peer. */
  peerReplacedBy(remote: Participant): void { this.remote = remote; this.emit('replaced', { remote }); }
}
