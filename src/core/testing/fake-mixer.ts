// In-memory Mixer and MixerFactory for unit tests of core: they record membership and mute per
// member so a test can assert who would hear whom. Not for production: they mix no audio.
import type { MediaEndpoint, Mixer, MixerFactory } from '../ports/index.ts';
import type { MixerMemberOptions } from '../ports/mixer.ts';

export class FakeMixer implements Mixer {
  private static next = 1;
  readonly id = `fake-mix-${FakeMixer.next++}`;
  closed = false;
  /** Members by endpoint id → muted. */
  readonly members = new Map<string, boolean>();
  readonly log: string[] = [];

  constructor(readonly near: MediaEndpoint) {}

  async add(ep: MediaEndpoint, opts: MixerMemberOptions = {}): Promise<void> {
    if (this.closed) throw new Error('mixer closed');
    this.members.set(ep.id, opts.muted ?? false);
    this.log.push(`add:${ep.id}${opts.muted ? ':muted' : ''}`);
  }

  async setMuted(ep: MediaEndpoint, muted: boolean): Promise<void> {
    if (this.closed) throw new Error('mixer closed');
    if (!this.members.has(ep.id)) throw new Error(`${ep.id} is not a member`);
    this.members.set(ep.id, muted);
    this.log.push(`${muted ? 'mute' : 'unmute'}:${ep.id}`);
  }

  async remove(ep: MediaEndpoint): Promise<void> {
    if (this.closed || !this.members.delete(ep.id)) return;
    this.log.push(`remove:${ep.id}`);
  }

  has(ep: MediaEndpoint): boolean {
    return this.members.has(ep.id);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.members.clear();
    this.log.push('close');
  }
}

export class FakeMixerFactory implements MixerFactory {
  readonly created: FakeMixer[] = [];
  /** When set, create() rejects with it. */
  fail?: Error;

  async create(near: MediaEndpoint): Promise<FakeMixer> {
    if (this.fail) throw this.fail;
    const m = new FakeMixer(near);
    this.created.push(m);
    return m;
  }
}
