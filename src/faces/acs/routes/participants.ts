// ACS participant routes (vendor-apis.md A.1/A.2): list, get, add, remove, mute and cancel add,
// mapped onto core's participant operations (addParticipant, removeParticipant,
// muteParticipant, cancelAddParticipant). isMuted / isOnHold are read from the live legs, or,
// for a call this node does not hold in memory, from the leg rows (legs.muted / legs.on_hold).
// moveHere (1.6.0 moveParticipants) → core's moveParticipant. Not here: unmute (ACS has no
// REST unmute in GA; SDK 1.5.1 and 1.6.0 expose only muteParticipant — core's
// unmuteParticipant is reachable through the native API only).
import { randomUUID } from 'node:crypto';
import type { Call, Participant } from '../../../core/index.ts';
import { AcsError, bad, notFound } from '../acs-error.ts';
import { callParticipant } from '../identifiers.ts';
import { callAction, echoContext, type AcsRoute } from '../route-context.ts';

/** The CallParticipants of a live call: core's roster (live answered legs; a ringing invitation is not in the call yet). */
export function liveParticipants(call: Call): Record<string, unknown>[] {
  return call.participantViews().map((v) => callParticipant(v.participant, v));
}

/**
 * How long an invitation rings: ACS invitationTimeoutInSeconds (swagger 0..180). Absent or 0 =
 * core's default (60 s) — ACS's range admits 0 and a zero-length ring would be useless.
 */
function ringTimeoutMs(raw: unknown): number | undefined {
  if (raw === undefined || raw === null || raw === 0) return undefined;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0 || raw > 180) throw bad('invitationTimeoutInSeconds must be an integer from 0 to 180.');
  return raw * 1000;
}

export const participantRoutes: AcsRoute[] = [
  {
    method: 'GET', pattern: /^\/calling\/callConnections\/([^/:]+)\/participants(?:\/(.+))?$/,
    async handle(ctx, request, _reply, g) {
      const id = decodeURIComponent(g[1]);
      const live = ctx.calls().getLive(ctx.principalOf(request), id);
      let list: Record<string, unknown>[];
      if (live) list = liveParticipants(live);
      else {
        // Ended (or in another node's memory): what the store knows — the answered legs, as the
        // live roster lists them, with the flags their last mute/hold wrote.
        const v = await ctx.calls().get(ctx.principalOf(request), id);
        list = v.legs.filter((l) => l.state === 'answered').map((l) => callParticipant(l.participant as unknown as Participant, l));
      }
      if (g[2] === undefined) return { value: list };
      const raw = decodeURIComponent(g[2]);
      const one = list.find((p) => (p.identifier as { rawId: string }).rawId === raw);
      if (!one) throw notFound('The participant is not in the call.');
      return one;
    },
  },
  {
    method: 'POST', pattern: callAction('add', true),
    async handle(ctx, request, reply, g, body) {
      const id = decodeURIComponent(g[1]);
      const target = ctx.participant(body.participantToAdd, 'participantToAdd');
      const caller = body.sourceCallerIdNumber ? ctx.participant(body.sourceCallerIdNumber, 'sourceCallerIdNumber') : undefined;
      const ring = ringTimeoutMs(body.invitationTimeoutInSeconds);
      // The face names the invitation so the 202 can carry it before core has dialed.
      const invitationId = randomUUID();
      await ctx.run(request, id, 'addParticipant', {
        target, invitationId, ...(caller ? { callerId: caller } : {}), ...(ring !== undefined ? { ringTimeoutMs: ring } : {}),
      }, body);
      return reply.code(202).send({ participant: callParticipant(target, {}), invitationId, ...echoContext(body) });
    },
  },
  {
    method: 'POST', pattern: callAction('remove', true),
    async handle(ctx, request, reply, g, body) {
      const id = decodeURIComponent(g[1]);
      if (body.participantToRemove === undefined) throw bad('participantToRemove is required.');
      const legId = ctx.legFor(request, id, body.participantToRemove);
      await ctx.run(request, id, 'removeParticipant', { legId }, body);
      return reply.code(202).send(echoContext(body));
    },
  },
  {
    method: 'POST', pattern: callAction('mute', true),
    async handle(ctx, request, reply, g, body) {
      const id = decodeURIComponent(g[1]);
      const targets = body.targetParticipants as unknown[];
      // ACS takes a list but mutes exactly one participant per request (its service refuses more).
      if (!Array.isArray(targets) || targets.length !== 1) throw bad('targetParticipants must hold exactly one participant.');
      const legId = ctx.legFor(request, id, targets[0]);
      const op = await ctx.run(request, id, 'muteParticipant', { legId }, body);
      // ACS answers mute synchronously (200, no callback): wait for core's result.
      const r = await op.done;
      if (r.code >= 300) throw new AcsError(r.code >= 500 ? 500 : 400, r.code >= 500 ? 'InternalServerError' : 'BadRequest', r.message);
      return reply.code(200).send(echoContext(body));
    },
  },
  {
    // MoveParticipantsRequest {targetParticipants, fromCall} (vendor-apis.md A.1/A.2): the
    // participant's leg in fromCall (a live call of this application; another application's
    // call is not found) moves into this call. 202 {participants, fromCall, operationContext};
    // MoveParticipantSucceeded / MoveParticipantFailed {participant, fromCall} follow.
    method: 'POST', pattern: callAction('moveHere', true),
    async handle(ctx, request, reply, g, body) {
      const id = decodeURIComponent(g[1]);
      const targets = body.targetParticipants as unknown[];
      // One leg per request keeps one operation (and one result event) per request.
      if (!Array.isArray(targets) || targets.length !== 1) throw bad('targetParticipants must hold exactly one participant.');
      const from = body.fromCall;
      if (typeof from !== 'string' || from.length === 0 || from.length > 100) throw bad('fromCall is required (a callConnectionId).');
      if (from === id) throw bad('fromCall is this call: the participant is already here.');
      const participant = ctx.participant(targets[0], 'targetParticipants/0');
      if (!ctx.calls().getLive(ctx.principalOf(request), id)) throw notFound('The call is not live.');
      if (!ctx.calls().getLive(ctx.principalOf(request), from)) throw notFound('fromCall names no live call of this application.');
      const legId = ctx.legFor(request, from, targets[0])!;
      await ctx.run(request, id, 'moveParticipant', { fromCallId: from, legId }, body);
      return reply.code(202).send({ participants: [callParticipant(participant, {})], fromCall: from, ...echoContext(body) });
    },
  },
  {
    method: 'POST', pattern: callAction('cancelAddParticipant', true),
    async handle(ctx, request, reply, g, body) {
      const id = decodeURIComponent(g[1]);
      if (typeof body.invitationId !== 'string' || body.invitationId.length === 0) throw bad('invitationId is required.');
      await ctx.run(request, id, 'cancelAddParticipant', { invitationId: body.invitationId }, body);
      return reply.code(202).send({ invitationId: body.invitationId, ...echoContext(body) });
    },
  },
];
