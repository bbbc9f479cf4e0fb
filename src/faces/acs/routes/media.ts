// ACS media routes (vendor-apis.md A.1): play, recognize, send DTMF, cancel all media
// operations, continuous DTMF recognition start/stop, hold / unhold.
// Recognize 'speech' (and 'speechOrDtmf' without choices) is free-form: core's transcriber
// (local pocketsphinx, low accuracy — docs/speech.md) → RecognizeCompleted speechResult.
// Partial (docs/faces/acs.md): a choice's `tone`, speechLanguage and speechOptions are accepted and ignored.
import { bad } from '../acs-error.ts';
import { toneChar } from '../identifiers.ts';
import { callAction, echoContext, type AcsRoute } from '../route-context.ts';

export const mediaRoutes: AcsRoute[] = [
  {
    method: 'POST', pattern: callAction('play'),
    async handle(ctx, request, reply, g, body) {
      const id = decodeURIComponent(g[1]);
      const playTo = Array.isArray(body.playTo) && body.playTo.length > 0 ? body.playTo : undefined;
      if (playTo && playTo.length > 1) ctx.notSupported('playTo with more than one participant');
      const legId = playTo ? ctx.legFor(request, id, playTo[0]) : undefined;
      await ctx.run(request, id, 'play', { sources: ctx.playSources(body.playSources), loop: body.playOptions?.loop === true, ...(legId ? { legId } : { toAll: true }) }, body);
      return reply.code(202).send();
    },
  },
  {
    method: 'POST', pattern: callAction('recognize'),
    async handle(ctx, request, reply, g, body) {
      const id = decodeURIComponent(g[1]);
      const type = String(body.recognizeInputType ?? '').toLowerCase();
      const o = (body.recognizeOptions ?? {}) as Record<string, any>;
      // speech = free-form (no choices); speechOrDtmf = free-form or, with choices given, a choice.
      const mode = type === 'dtmf' ? 'dtmf' : type === 'choices' || type === 'speech' ? 'speech' : type === 'speechordtmf' ? 'speechOrDtmf' : undefined;
      if (!mode) throw bad('recognizeInputType must be dtmf, choices, speech or speechOrDtmf.');
      const prompts = body.playPrompts ?? (body.playPrompt ? [body.playPrompt] : undefined);
      const stop = Array.isArray(o.dtmfOptions?.stopTones) ? (o.dtmfOptions.stopTones as unknown[]).map(toneChar).join('') : '';
      const legId = ctx.legFor(request, id, o.targetParticipant);
      await ctx.run(request, id, 'recognize', {
        mode,
        ...(o.dtmfOptions?.maxTonesToCollect !== undefined ? { maxTones: o.dtmfOptions.maxTonesToCollect } : {}),
        ...(stop ? { stopTones: stop } : {}),
        ...(o.dtmfOptions?.interToneTimeoutInSeconds !== undefined ? { interToneTimeoutMs: Math.round(o.dtmfOptions.interToneTimeoutInSeconds * 1000) } : {}),
        ...(o.initialSilenceTimeoutInSeconds !== undefined ? { initialSilenceTimeoutMs: Math.max(100, Math.round(o.initialSilenceTimeoutInSeconds * 1000)) } : {}),
        ...(prompts ? { prompt: ctx.playSources(prompts) } : {}),
        bargeIn: o.interruptPrompt !== false,
        ...(mode !== 'dtmf' && type !== 'speech' ? { choices: (o.choices ?? []).map((c: any) => ({ label: c.label, phrases: c.phrases })) } : {}),
        ...(legId ? { legId } : {}),
      }, body);
      return reply.code(202).send();
    },
  },
  {
    method: 'POST', pattern: callAction('sendDtmfTones'),
    async handle(ctx, request, reply, g, body) {
      const id = decodeURIComponent(g[1]);
      const tones = (Array.isArray(body.tones) ? body.tones : []).map(toneChar);
      if (tones.length === 0 || tones.includes(undefined)) throw bad('tones must be ACS tone names (zero … nine, a … d, pound, asterisk).');
      const legId = ctx.legFor(request, id, body.targetParticipant);
      await ctx.run(request, id, 'sendDtmf', { tones: tones.join(''), ...(legId ? { legId } : {}) }, body);
      return reply.code(202).send(echoContext(body));
    },
  },
  {
    method: 'POST', pattern: callAction('cancelAllMediaOperations'),
    async handle(ctx, request, reply, g, body) {
      await ctx.run(request, decodeURIComponent(g[1]), 'cancelAllMediaOperations', {}, body);
      return reply.code(202).send();
    },
  },
  {
    method: 'POST', pattern: callAction('(startContinuousDtmfRecognition|stopContinuousDtmfRecognition)'),
    async handle(ctx, request, reply, g, body) {
      const id = decodeURIComponent(g[1]);
      // ContinuousDtmfRecognitionRequest: targetParticipant (required by ACS; absent = every leg
      // here) → core's legId. Digits → ContinuousDtmfRecognitionToneReceived; stop →
      // ContinuousDtmfRecognitionStopped (callbacks/continuous-dtmf.ts). ACS answers 200.
      const legId = ctx.legFor(request, id, body.targetParticipant);
      const op = g[2] === 'startContinuousDtmfRecognition' ? 'startContinuousDtmf' : 'stopContinuousDtmf';
      await ctx.run(request, id, op, legId ? { legId } : {}, body);
      return reply.code(200).send();
    },
  },
  {
    method: 'POST', pattern: callAction('(hold|unhold)'),
    async handle(ctx, request, reply, g, body) {
      const id = decodeURIComponent(g[1]);
      // HoldRequest / UnholdRequest: targetParticipant (required by ACS; absent = the primary leg here).
      const legId = ctx.legFor(request, id, body.targetParticipant);
      const music = g[2] === 'hold' && body.playSourceInfo ? ctx.playSources([body.playSourceInfo]) : undefined;
      // ACS answers 200 at once; a failure comes later as HoldFailed (hold) — see callbacks/participants.ts.
      await ctx.run(request, id, g[2], { ...(legId ? { legId } : {}), ...(music ? { music } : {}) }, body);
      return reply.code(200).send();
    },
  },
];
