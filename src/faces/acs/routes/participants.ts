// ACS participant routes (vendor-apis.md A.1): list, get, remove (add, mute, cancel add and
// move come with core's participant operations).
import type { Participant } from '../../../core/index.ts';
import { notFound } from '../acs-error.ts';
import { toIdentifier } from '../identifiers.ts';
import { callAction, echoContext, type AcsRoute } from '../route-context.ts';

export const participantRoutes: AcsRoute[] = [
  {
    method: 'GET', pattern: /^\/calling\/callConnections\/([^/:]+)\/participants(?:\/(.+))?$/,
    async handle(ctx, request, _reply, g) {
      const id = decodeURIComponent(g[1]);
      const v = await ctx.calls().get(ctx.principalOf(request), id);
      const list = v.legs.filter((l) => l.state !== 'ended').map((l) => ({ identifier: toIdentifier(l.participant as unknown as Participant), isMuted: false, isOnHold: false }));
      if (g[2] === undefined) return { value: list };
      const raw = decodeURIComponent(g[2]);
      const one = list.find((p) => p.identifier.rawId === raw);
      if (!one) throw notFound('The participant is not in the call.');
      return one;
    },
  },
  {
    method: 'POST', pattern: callAction('remove', true),
    async handle(ctx, request, reply, g, body) {
      const id = decodeURIComponent(g[1]);
      const legId = ctx.legFor(request, id, body.participantToRemove);
      await ctx.run(request, id, 'hangup', { forEveryone: false, ...(legId ? { legId } : {}) }, body);
      return reply.code(202).send(echoContext(body));
    },
  },
];
