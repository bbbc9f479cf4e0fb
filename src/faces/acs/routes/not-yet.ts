// ACS routes core cannot serve yet: 501 NotSupported, listed in docs/faces/acs.md. Each entry
// leaves this table when its route module implements it.
import { callAction, type AcsRoute } from '../route-context.ts';

const later = (action: string, participants = false): AcsRoute => ({
  method: 'POST', pattern: callAction(action, participants),
  async handle(ctx) {
    return ctx.notSupported(action);
  },
});

export const notYetRoutes: AcsRoute[] = [
  later('moveHere', true),
];
