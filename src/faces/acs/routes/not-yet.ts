// ACS routes core cannot serve yet: 501 NotSupported, listed in docs/faces/acs.md. Each entry
// leaves this table when its route module implements it.
import { callAction, type AcsRoute } from '../route-context.ts';

/** A 501 route for `action` (the shape of every entry of the table below). */
export const later = (action: string, participants = false): AcsRoute => ({
  method: 'POST', pattern: callAction(action, participants),
  async handle(ctx) {
    return ctx.notSupported(action);
  },
});

// Empty since participants:moveHere moved to ./participants.ts; kept for the next one.
export const notYetRoutes: AcsRoute[] = [];
