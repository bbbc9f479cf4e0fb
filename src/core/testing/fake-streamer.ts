// A MediaStreamer double: records what core sends on each stream connection (audio, DTMF) and
// lets a test close a connection from the far side. Never wired in production.
import { EventEmitter } from 'node:events';
import type { MediaStreamer, Participant, StreamConnectRequest, StreamConnection, StreamConnectionEvents } from '../ports/index.ts';

export class FakeConn extends EventEmitter<StreamConnectionEvents> implements StreamConnection {
  readonly id = 'conn-1';
  dropped = 0;
  sent: { samples: Int16Array; participant?: Participant }[] = [];
  digits: string[] = [];
  closedBy?: string;
  constructor(readonly req: StreamConnectRequest) { super(); }
  sendAudio(f: { samples: Int16Array; participant?: Participant }): void { this.sent.push(f); }
  sendDtmf(d: string): void { this.digits.push(d); }
  sendTranscript(): void {}
  async close(): Promise<void> {
    if (this.closedBy) return;
    this.closedBy = 'us';
    this.emit('closed', { reason: 'closed' });
  }
}

export function fakeStreamer(fail?: string): MediaStreamer & { conns: FakeConn[] } {
  const conns: FakeConn[] = [];
  return {
    conns,
    async connect(req) {
      if (fail) throw new Error(fail);
      const c = new FakeConn(req);
      conns.push(c);
      return c;
    },
  };
}
