// The Mixer port: a conference bridge for three or more legs. Core defines it; an adapter over
// the media workers' mixer implements it later (not built yet — addParticipant with a third
// party fails with MIXER_UNAVAILABLE when no MixerFactory is wired).
import type { MediaEndpoint } from './media-endpoint.ts';

export interface Mixer {
  readonly id: string;
  add(endpoint: MediaEndpoint): Promise<void>;
  remove(endpoint: MediaEndpoint): Promise<void>;
  /** Removes every endpoint and releases the mixer; idempotent. */
  close(): Promise<void>;
}

export interface MixerFactory {
  /** `near`: an endpoint the mixer must live beside (same media worker). */
  create(near: MediaEndpoint): Promise<Mixer>;
}
