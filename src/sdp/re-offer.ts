// Helpers for offers made inside an existing session (RFC 3264 §8): version bump, hold, resume.
// Each returns a new description and leaves its input alone, so the previous offer can still be
// compared with the answer that comes back.

import { setDirection, DIRECTIONS } from './attributes.ts';
import { mediaView } from './media-view.ts';
import type { Direction, SessionDescription } from './types.ts';

/** A copy with o= sess-version + 1, as every changed offer needs (RFC 3264 §8). */
export function bumpVersion(sd: SessionDescription): SessionDescription {
  const copy = structuredClone(sd);
  copy.origin.sessVersion = (BigInt(sd.origin.sessVersion) + 1n).toString();
  return copy;
}

// RFC 3264 §8.4: sendrecv → sendonly, recvonly → inactive; sendonly and inactive stay.
const HOLD: Record<Direction, Direction> = { sendrecv: 'sendonly', recvonly: 'inactive', sendonly: 'sendonly', inactive: 'inactive' };
const RESUME: Record<Direction, Direction> = { sendonly: 'sendrecv', inactive: 'recvonly', sendrecv: 'sendrecv', recvonly: 'recvonly' };

/** A re-offer that puts every active stream on hold the RFC 3264 §8.4 way (never c=0.0.0.0). */
export function holdOffer(sd: SessionDescription): SessionDescription {
  return redirect(sd, (d) => HOLD[d]);
}

/**
 * A re-offer that takes the streams off hold: each to `direction` when given, else back to
 * what holdOffer changed it from (sendonly → sendrecv, inactive → recvonly).
 */
export function resumeOffer(sd: SessionDescription, direction?: Direction): SessionDescription {
  return redirect(sd, (d) => direction ?? RESUME[d]);
}

function redirect(sd: SessionDescription, map: (d: Direction) => Direction): SessionDescription {
  const copy = bumpVersion(sd);
  for (const m of copy.media) {
    if (m.port === 0) continue;
    // Resolve against the session level first; then make the direction explicit per media.
    setDirection(m.attributes, map(mediaView(m, copy).direction));
  }
  copy.attributes = copy.attributes.filter((a) => !(a.value === undefined && (DIRECTIONS as readonly string[]).includes(a.name)));
  return copy;
}
