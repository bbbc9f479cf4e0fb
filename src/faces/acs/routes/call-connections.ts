// ACS call connection routes (vendor-apis.md A.1): create (one target: core createCall; several:
// a group call, see createGroupCall), answer / redirect / reject (by incomingCallContext),
// connect (serverCallLocator; groupCallLocator / roomCallLocator open a conference), get, hang up
// (leave), terminate, transfer to participant.
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Call, Operation, Participant } from '../../../core/index.ts';
import { ACS_FORMAT } from '../callback-events.ts';
import { bad, notFound } from '../acs-error.ts';
import { callIdOfServerCallId, toIdentifier } from '../identifiers.ts';
import { callAction, echoContext, type AcsBody, type AcsRoute, type AcsRouteContext } from '../route-context.ts';
import { adoptStreamingOptions, parseStreamingOptions } from './streaming.ts';
import { adoptTranscriptionOptions } from './transcription.ts';

/** Most targets one createCall may ring at once (ACS documents no limit for group calls; ours keeps one request bounded). */
const MAX_GROUP_TARGETS = 10;

/**
 * createCall with several targets (the SDK's createGroupCall): a conference (CallService.
 * openConference, locator 'groupCall:<uuid>', callbacks in ACS format to callbackUri) that
 * invites every target with addParticipant at once — core places a conference's first legs one
 * after another so that all of them land in one media worker and can be mixed.
 * Callbacks: CallConnected when the first target answers (as ACS does), then per target
 * AddParticipantSucceeded / AddParticipantFailed {participant, invitationId} and
 * ParticipantsUpdated as they join. When every invitation failed, or the last party left after
 * someone had joined, the group call is hung up (CallDisconnected), as an ACS group call ends
 * when nobody is left in it.
 */
async function createGroupCall(ctx: AcsRouteContext, request: FastifyRequest, reply: FastifyReply, body: AcsBody, raw: unknown[]): Promise<unknown> {
  if (raw.length > MAX_GROUP_TARGETS) throw bad(`targets may hold at most ${MAX_GROUP_TARGETS} participants.`);
  const targets: Participant[] = raw.map((t, i) => ctx.participant(t, `targets/${i}`));
  const seen = new Set(targets.map((t) => JSON.stringify(toIdentifier(t))));
  if (seen.size !== targets.length) throw bad('targets must not list a participant twice.');
  const caller = body.sourceCallerIdNumber ? ctx.participant(body.sourceCallerIdNumber, 'sourceCallerIdNumber') : undefined;
  parseStreamingOptions(body.mediaStreamingOptions); // 400 before dialing, not after
  const principal = ctx.principalOf(request);
  const { call } = await ctx.calls().openConference(principal, { locator: `groupCall:${randomUUID()}`, callbackUrl: body.callbackUri, callbackFormat: ACS_FORMAT, answeredEvent: 'firstAnswer' });
  adoptStreamingOptions(ctx, request, call, body);
  adoptTranscriptionOptions(ctx, request, call, body);
  const hangup = (): void => { void ctx.calls().execute(call.id, 'hangup', { forEveryone: true }, { principal }).catch(() => {}); };
  const ops: Operation[] = [];
  try {
    for (const target of targets) {
      ops.push(await ctx.run(request, call.id, 'addParticipant', { target, invitationId: randomUUID(), ...(caller ? { callerId: caller } : {}) }, body));
    }
  } catch (err) {
    // A target refused by core (destination policy …): nothing of this group call may stay up.
    hangup();
    throw err;
  }
  endWhenEmpty(call, hangup);
  void Promise.all(ops.map((o) => o.done)).then((results) => { if (results.every((r) => r.code >= 300)) hangup(); });
  return reply.code(201).send(await ctx.properties(request, call.id, { callbackUri: body.callbackUri, targets: targets.map(toIdentifier) }));
}

/** Hangs the group call up once a party had joined and no live leg is left (a conference would wait for its idle timeout). */
function endWhenEmpty(call: Call, hangup: () => void): void {
  const check = (): void => {
    const joined = [...call.legs.values()].some((l) => l.times.answeredAt !== undefined);
    if (joined && call.liveLegs().length === 0) {
      call.off('legs', check);
      hangup();
    }
  };
  call.on('legs', check);
  call.once('ended', () => call.off('legs', check));
}

export const callConnectionRoutes: AcsRoute[] = [
  {
    method: 'POST', pattern: /^\/calling\/callConnections$/,
    async handle(ctx, request, reply, _m, body) {
      const targets = body.targets as unknown[];
      if (!Array.isArray(targets) || targets.length === 0) throw bad('targets must hold at least one participant.');
      if (typeof body.callbackUri !== 'string') throw bad('callbackUri is required.');
      if (targets.length > 1) return createGroupCall(ctx, request, reply, body, targets);
      const caller = body.sourceCallerIdNumber ? ctx.participant(body.sourceCallerIdNumber, 'sourceCallerIdNumber') : undefined;
      parseStreamingOptions(body.mediaStreamingOptions); // 400 before dialing, not after
      const { call } = await ctx.calls().createCall({ target: ctx.participant(targets[0], 'targets/0'), ...(caller ? { callerId: caller } : {}), callbackUrl: body.callbackUri },
        { principal: ctx.principalOf(request), callbackFormat: ACS_FORMAT, ...(typeof body.operationContext === 'string' ? { operationContext: body.operationContext } : {}) });
      adoptStreamingOptions(ctx, request, call, body);
      adoptTranscriptionOptions(ctx, request, call, body);
      return reply.code(201).send(await ctx.properties(request, call.id, { callbackUri: body.callbackUri }));
    },
  },
  {
    method: 'POST', pattern: /^\/calling\/callConnections:(answer|redirect|reject)$/,
    async handle(ctx, request, reply, g, body) {
      const callId = ctx.contexts.open(body.incomingCallContext, ctx.applicationIdOf(request));
      if (!callId) throw bad('incomingCallContext is invalid or expired.');
      const call = ctx.calls().getLive(ctx.principalOf(request), callId);
      if (!call) throw notFound('The incoming call is gone.');
      if (g[1] === 'answer') {
        if (typeof body.callbackUri !== 'string') throw bad('callbackUri is required.');
        parseStreamingOptions(body.mediaStreamingOptions); // 400 before answering, not after
        call.journal.directTo(body.callbackUri, ACS_FORMAT);
        adoptStreamingOptions(ctx, request, call, body);
        adoptTranscriptionOptions(ctx, request, call, body);
        await ctx.run(request, callId, 'answer', {}, body);
        return reply.code(200).send(await ctx.properties(request, callId, { callbackUri: body.callbackUri }));
      }
      if (g[1] === 'redirect') {
        const t = ctx.participant(body.target, 'target');
        await ctx.run(request, callId, 'redirect', { targets: [t.kind === 'phone' ? `tel:${t.number}` : t.kind === 'sip' ? t.uri : ctx.notSupported('this redirect target')] }, body);
        return reply.code(204).send();
      }
      const reason = String(body.callRejectReason ?? 'none').toLowerCase();
      await ctx.run(request, callId, 'reject', { reason: ['busy', 'forbidden'].includes(reason) ? reason : 'none' }, body);
      return reply.code(204).send();
    },
  },
  {
    // Connect (vendor-apis.md A.2 ConnectRequest): takes over an existing call by its locator.
    // serverCallLocator → the Switchboard call inside the serverCallId (base64 'sb:<callId>'),
    // whose later callbacks go to this callbackUri. groupCallLocator {groupCallId} / roomCallLocator
    // {roomId} name a conference of the application: CallService.openConference with locator
    // 'group:<id>' / 'room:<id>' (find-or-create; CallConnected follows when it is created), its
    // callbacks in ACS format to callbackUri; parties join with participants:add.
    method: 'POST', pattern: /^\/calling\/callConnections:connect$/,
    async handle(ctx, request, reply, _m, body) {
      const loc = (body.callLocator ?? {}) as Record<string, unknown>;
      const kind = typeof loc.kind === 'string' ? loc.kind : loc.serverCallId ? 'serverCallLocator' : loc.groupCallId ? 'groupCallLocator' : loc.roomId ? 'roomCallLocator' : '';
      if (typeof body.callbackUri !== 'string') throw bad('callbackUri is required.');
      if (kind === 'groupCallLocator' || kind === 'roomCallLocator') {
        const id = kind === 'groupCallLocator' ? loc.groupCallId : loc.roomId;
        if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw bad(`callLocator.${kind === 'groupCallLocator' ? 'groupCallId' : 'roomId'} is required (1-200 characters).`);
        const { call, created } = await ctx.calls().openConference(ctx.principalOf(request), {
          locator: `${kind === 'groupCallLocator' ? 'group' : 'room'}:${id}`, callbackUrl: body.callbackUri, callbackFormat: ACS_FORMAT,
        });
        // A second connect to a live conference takes its callbacks over, like serverCallLocator.
        if (!created) call.journal.directTo(body.callbackUri, ACS_FORMAT);
        return reply.code(200).send(await ctx.properties(request, call.id, { callbackUri: body.callbackUri }));
      }
      if (kind !== 'serverCallLocator') throw bad('callLocator must be a serverCallLocator, groupCallLocator or roomCallLocator.');
      const callId = callIdOfServerCallId(loc.serverCallId);
      if (!callId) throw notFound('No call has this serverCallId.');
      const call = ctx.calls().getLive(ctx.principalOf(request), callId);
      if (!call) throw notFound('No call has this serverCallId.');
      call.journal.directTo(body.callbackUri, ACS_FORMAT);
      return reply.code(200).send(await ctx.properties(request, callId, { callbackUri: body.callbackUri }));
    },
  },
  {
    method: 'GET', pattern: /^\/calling\/callConnections\/([^/:]+)$/,
    async handle(ctx, request, _reply, g) {
      return ctx.properties(request, decodeURIComponent(g[1]));
    },
  },
  {
    method: 'DELETE', pattern: /^\/calling\/callConnections\/([^/:]+)$/,
    async handle(ctx, request, reply, g) {
      await ctx.run(request, decodeURIComponent(g[1]), 'hangup', { forEveryone: true }, {});
      return reply.code(204).send();
    },
  },
  {
    method: 'POST', pattern: callAction('terminate'),
    async handle(ctx, request, reply, g, body) {
      await ctx.run(request, decodeURIComponent(g[1]), 'hangup', { forEveryone: true }, body);
      return reply.code(204).send();
    },
  },
  {
    method: 'POST', pattern: callAction('transferToParticipant'),
    async handle(ctx, request, reply, g, body) {
      const id = decodeURIComponent(g[1]);
      // transferee: which party is transferred (a multi-party call); absent = the primary leg.
      const legId = ctx.legFor(request, id, body.transferee);
      await ctx.run(request, id, 'transferBlind', { target: ctx.participant(body.targetParticipant, 'targetParticipant'), ...(legId ? { legId } : {}) }, body);
      return reply.code(202).send(echoContext(body));
    },
  },
];


