// The Mixer port: an N-party conference mix (mix-minus: each member hears everyone else) for
// the legs of one call. Core defines it; src/adapters/engine-mixer.ts implements it over the
// media workers' conference rooms. Core's CallMix (src/core/calls/call-mix.ts) decides which
// legs are members; a mixer only does what it is told.
//
// Rules an implementation may rely on: every member lives beside the endpoint the mixer was
// created `near` (same media worker — core dials every leg of a call near its first one), and
// an endpoint is in at most one mixer.
//
// Close cascade: close() makes every member leave (they fall back to silence, their calls go
// on) and releases the mix; afterwards add/setMuted reject and remove is a no-op. Idempotent.
import type { MediaEndpoint, MediaOperation, PlayItem } from './media-endpoint.ts';

export interface MixerMemberOptions {
  /** Others do not hear this member (it still hears them); default false. */
  muted?: boolean;
}

export interface Mixer {
  readonly id: string;
  readonly closed: boolean;
  /** Joins `endpoint` (or updates it when already a member). */
  add(endpoint: MediaEndpoint, opts?: MixerMemberOptions): Promise<void>;
  /** Per-member mute: others stop / start hearing it. Rejects when it is not a member. */
  setMuted(endpoint: MediaEndpoint, muted: boolean): Promise<void>;
  /** Makes it leave; a no-op when it is not a member (or already closed). */
  remove(endpoint: MediaEndpoint): Promise<void>;
  has(endpoint: MediaEndpoint): boolean;
  /**
   * Plays `items` INTO the mix: every member hears it (muted ones too), on top of each other.
   * `opts.loop`: repeat until cancelled, default false. No barge-in. Optional: a mixer without
   * it makes core play to each leg instead. The operation settles 'closed' when the mixer closes.
   */
  play?(items: readonly PlayItem[], opts?: { loop?: boolean }): Promise<MediaOperation>;
  /** Removes every endpoint and releases the mixer; idempotent. */
  close(): Promise<void>;
}

export interface MixerFactory {
  /**
   * `near`: an endpoint the mixer must live beside (same media worker); default (none) the
   * implementation's choice — then members must be created beside the mixer instead.
   */
  create(near?: MediaEndpoint): Promise<Mixer>;
}
