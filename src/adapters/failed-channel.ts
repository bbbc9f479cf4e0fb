// FailedChannel: the Channel of an outbound leg that could not even be attempted (the target
// is a user of this node who is not registered, and so on). It ends on its own right after
// the caller attached to it — the call sees a leg that was dialed and ended with a clear
// reason, exactly like a leg the far end refused, instead of a dial() that threw and left the
// call 'dialing' until shutdown. Every action after that is refused as on a closed channel.
import { EventEmitter } from 'node:events';
import type { Channel, ChannelEvents, HangupInfo, Participant, ReferOutcome } from '../core/index.ts';
import { ChannelClosedError } from './sip-channel.ts';

export class FailedChannel extends EventEmitter<ChannelEvents> implements Channel {
  readonly direction = 'outbound' as const;
  private isClosed = false;
  private readonly ended: Promise<void>;

  constructor(readonly id: string, readonly remote: Participant, readonly local: Participant, info: HangupInfo) {
    super();
    // setImmediate, not a microtask: core subscribes once dial() resolved (Leg, Call.addLeg),
    // which happens in the microtasks right after; a macrotask runs after all of them.
    this.ended = new Promise((resolve) => setImmediate(() => {
      this.emit('hangup', info);
      this.isClosed = true;
      this.emit('closed');
      resolve();
    }));
  }

  get closed(): boolean {
    return this.isClosed;
  }

  private refuse(): Promise<never> {
    return Promise.reject(new ChannelClosedError());
  }

  ring(): Promise<void> { return this.refuse(); }
  answer(): Promise<void> { return this.refuse(); }
  reject(): Promise<void> { return this.refuse(); }
  redirect(): Promise<void> { return this.refuse(); }
  hold(): Promise<void> { return this.refuse(); }
  unhold(): Promise<void> { return this.refuse(); }
  sendInfo(): Promise<void> { return this.refuse(); }
  /** Resolves once the leg's end was reported (as Channel.hangup promises). */
  hangup(): Promise<void> { return this.ended; }
  refer(): Promise<ReferOutcome> { return Promise.resolve({ accepted: false }); }
}
