// ACS call connection routes (vendor-apis.md A.1): create, answer / redirect / reject (by
// incomingCallContext), connect (serverCallLocator; groupCallLocator / roomCallLocator open a
// conference), get, hang up (leave), terminate, transfer to participant.
import { ACS_FORMAT } from '../callback-events.ts';
import { bad, notFound } from '../acs-error.ts';
import { callIdOfServerCallId } from '../identifiers.ts';
import { callAction, echoContext, type AcsRoute } from '../route-context.ts';
import { adoptStreamingOptions, parseStreamingOptions } from './streaming.ts';
import { adoptTranscriptionOptions } from './transcription.ts';

export const callConnectionRoutes: AcsRoute[] = [
  {
    method: 'POST', pattern: /^\/calling\/callConnections$/,
    async handle(ctx, request, reply, _m, body) {
      const targets = body.targets as unknown[];
      if (!Array.isArray(targets) || targets.length !== 1) throw bad('targets must hold exactly one participant (group calls are not supported yet).');
      if (typeof body.callbackUri !== 'string') throw bad('callbackUri is required.');
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


