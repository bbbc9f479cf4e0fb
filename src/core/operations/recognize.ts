// recognize: collects DTMF tones, or a spoken choice, or whichever comes first, optionally
// after a prompt the caller may interrupt (barge-in). Events: recognize.completed (with
// `tones` or `choice`) | recognize.failed | recognize.cancelled.
//
// DTMF rules (the ones ACS and Huawei apps expect):
//   - only digits that arrive while it runs count; a stop tone ends it (not included in tones);
//   - maxTones reached → completed (subcode MAX_TONES);
//   - the initial-silence timer starts when the prompt ends (or at once without a prompt) and,
//     with no input at all, fails it (408, INITIAL_SILENCE_TIMEOUT);
//   - after each digit the inter-digit timer restarts; when it fires → completed with the
//     tones so far (subcode INTER_DIGIT_TIMEOUT).
// Speech: every utterance the leg's VAD captures goes to the Recognizer port with the
// choices; a match completes it, no match fails it (400, NO_MATCH).
// Free-form speech (mode 'speech' or 'speechOrDtmf' with NO choices): the utterance goes to the
// Transcriber port instead and completes it with {speech, confidence}; no words → NO_MATCH.
import type { TimerHandle } from '../../lib/index.ts';
import { CallError } from '../calls/call-error.ts';
import type { Choice, MediaOperation, Transcriber } from '../ports/index.ts';
import type { OperationDefinition } from './operation.ts';
import { SUBCODE, failure, success, type OperationOutcome } from './operation-result.ts';
import { checkPlaySources, targetLegs, toPlayItems, type PlaySource } from './media.ts';
import { Check, DTMF_RE } from './validate.ts';

export interface RecognizeParams {
  /** Default 'dtmf'. */
  mode: 'dtmf' | 'speech' | 'speechOrDtmf';
  /** Default 1. */
  maxTones: number;
  /** Default none. */
  stopTones: string;
  /** Default 2000 ms. */
  interToneTimeoutMs: number;
  /** Default 5000 ms. */
  initialSilenceTimeoutMs: number;
  /** Default none. */
  prompt: PlaySource[];
  /** Default true. */
  bargeIn: boolean;
  /** Speech modes: the choices to match; empty = free-form (the transcriber's text). Default []. */
  choices: Choice[];
  legId?: string;
}

export const recognize: OperationDefinition<RecognizeParams> = {
  name: 'recognize',
  eventPrefix: 'recognize',
  events: 'all',
  media: true,
  validate(params) {
    const c = new Check(params);
    c.only(['mode', 'maxTones', 'stopTones', 'interToneTimeoutMs', 'initialSilenceTimeoutMs', 'prompt', 'bargeIn', 'choices', 'legId']);
    const mode = (c.str('mode', { oneOf: ['dtmf', 'speech', 'speechOrDtmf'] }) ?? 'dtmf') as RecognizeParams['mode'];
    const maxTones = c.int('maxTones', 1, 1, 32);
    const stopTones = c.str('stopTones', { re: DTMF_RE, max: 16 }) ?? '';
    const interToneTimeoutMs = c.int('interToneTimeoutMs', 2000, 100, 60_000);
    const initialSilenceTimeoutMs = c.int('initialSilenceTimeoutMs', 5000, 100, 300_000);
    const prompt = checkPlaySources(c, 'prompt', false);
    const bargeIn = c.bool('bargeIn', true);
    const legId = c.str('legId');
    let choices: Choice[] = [];
    const raw = params.choices;
    if (mode !== 'dtmf' && raw !== undefined && !(Array.isArray(raw) && raw.length === 0)) {
      if (!Array.isArray(raw) || raw.length === 0 || raw.length > 50 || !raw.every((x: unknown) => {
        const o = x as Record<string, unknown>;
        return typeof o === 'object' && o !== null && typeof o.label === 'string' && Array.isArray(o.phrases) && o.phrases.length > 0 && o.phrases.every((s) => typeof s === 'string' && s.length > 0);
      })) c.fail('choices', 'speech needs 1 to 50 choices of {label, phrases: [..]}');
      else choices = (raw as Choice[]).map((x) => ({ label: x.label, phrases: [...x.phrases] }));
    }
    c.done();
    return { mode, maxTones, stopTones, interToneTimeoutMs, initialSilenceTimeoutMs, prompt, bargeIn, choices, ...(legId !== undefined ? { legId } : {}) };
  },
  async start(ctx, p) {
    const { call, env } = ctx;
    const [leg] = targetLegs(ctx, p.legId, false);
    const speech = p.mode !== 'dtmf';
    const freeForm = speech && p.choices.length === 0;
    if (speech && !freeForm && !env.recognizer) throw new CallError('NOT_CONFIGURED', 'no speech recognizer is configured');
    if (freeForm && !env.transcriber) throw new CallError('NOT_CONFIGURED', 'no transcriber is configured for free-form speech');
    const promptItems = p.prompt.length ? await toPlayItems(ctx, p.prompt) : [];
    if (speech) await leg.media.detectSpeech(true);
    // Lets a local engine load its model while the prompt plays and the caller speaks.
    if (freeForm) env.transcriber!.warmUp?.();
    return new Promise<OperationOutcome>((resolve) => {
      const tones: string[] = [];
      let timer: TimerHandle | undefined;
      let prompt: MediaOperation | undefined;
      let done = false;
      const finish = (o: OperationOutcome): void => {
        if (done) return;
        done = true;
        timer?.cancel();
        call.off('dtmf', onDtmf);
        call.off('utterance', onUtterance);
        ctx.signal.removeEventListener('abort', onAbort);
        void prompt?.cancel().catch(() => {});
        if (speech) void leg.media.detectSpeech(false).catch(() => {});
        resolve(o);
      };
      const arm = (ms: number, fire: () => void): void => {
        timer?.cancel();
        timer = env.clock.setTimeout(fire, ms);
      };
      const stopPrompt = (): void => {
        if (p.bargeIn && prompt) void prompt.cancel().catch(() => {});
      };
      const onDtmf = (d: { legId: string; digit: string }): void => {
        if (d.legId !== leg.id || p.mode === 'speech' || done) return;
        stopPrompt();
        if (p.stopTones.includes(d.digit)) return finish(success({ tones: [...tones], stopTone: d.digit }, 'stop tone', SUBCODE.STOP_TONE));
        tones.push(d.digit);
        if (tones.length >= p.maxTones) return finish(success({ tones: [...tones] }, 'max tones received', SUBCODE.MAX_TONES));
        arm(p.interToneTimeoutMs, () => finish(success({ tones: [...tones] }, 'inter-digit timeout', SUBCODE.INTER_DIGIT_TIMEOUT)));
      };
      const onUtterance = (u: { legId: string; rate: number; samples: Int16Array }): void => {
        if (u.legId !== leg.id || done || tones.length > 0) return;
        stopPrompt();
        timer?.cancel();
        if (freeForm) {
          transcribe(env.transcriber!, u.rate, u.samples).then(
            (r) => finish(r.text
              ? success({ speech: r.text, ...(r.confidence !== undefined ? { confidence: r.confidence } : {}) }, 'recognized', SUBCODE.SPEECH_RECOGNIZED)
              : failure(400, SUBCODE.NO_MATCH, 'no words were recognized')),
            (err: unknown) => finish(failure(500, SUBCODE.INTERNAL, `transcriber failed: ${String(err)}`)),
          );
          return;
        }
        env.recognizer!.recognizeChoices({ rate: u.rate, samples: u.samples }, p.choices).then(
          (r) => finish(r.label !== undefined
            ? success({ choice: r.label, ...(r.phrase !== undefined ? { phrase: r.phrase } : {}), ...(r.confidence !== undefined ? { confidence: r.confidence } : {}) }, 'recognized', SUBCODE.SPEECH_RECOGNIZED)
            : failure(400, SUBCODE.NO_MATCH, 'speech did not match any choice')),
          (err: unknown) => finish(failure(500, SUBCODE.INTERNAL, `recognizer failed: ${String(err)}`)),
        );
      };
      const onAbort = (): void => finish(failure(499, SUBCODE.CANCELLED, 'cancelled'));
      const armInitial = (): void => {
        if (done || tones.length > 0) return;
        arm(p.initialSilenceTimeoutMs, () => finish(failure(408, SUBCODE.INITIAL_SILENCE_TIMEOUT, 'no input before the initial silence timeout', { tones: [] })));
      };
      call.on('dtmf', onDtmf);
      if (speech) call.on('utterance', onUtterance);
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      if (promptItems.length === 0) return armInitial();
      leg.media.play(promptItems, { bargeIn: p.bargeIn }).then((op) => {
        prompt = op;
        if (done) void op.cancel().catch(() => {});
        void op.done.then((r) => (r.reason === 'failed' ? finish(failure(500, SUBCODE.MEDIA_FAILED, `prompt failed: ${r.error ?? ''}`)) : armInitial()));
      }, (err: unknown) => finish(failure(500, SUBCODE.MEDIA_FAILED, `prompt failed: ${String(err)}`)));
    });
  },
};

/** Frames (20 ms) quieter than this RMS are silence for trimming: near-digital silence only (≈ −54 dBFS). */
const TRIM_RMS = 64;
/** Silence kept either side of the speech when trimming, ms. */
const TRIM_KEEP_MS = 250;

/**
 * The utterance without its long silent edges (TRIM_KEEP_MS kept). The capture starts when
 * recognition starts, so it can hold seconds of near-digital silence before the first word; the
 * local engine (pocketsphinx) then hears nothing at all (measured with SIPp in
 * test/native-recognize-speech.test.ts: 1.9 s of engine silence before the TTS sentence → no
 * words; trimmed → "i would like …"). All silent or nothing to trim: returned as it is.
 */
function trimSilence(rate: number, x: Int16Array): Int16Array {
  const frame = Math.max(1, Math.round(rate / 50));
  let first = -1;
  let last = -1;
  for (let o = 0; o < x.length; o += frame) {
    const n = Math.min(frame, x.length - o);
    let e = 0;
    for (let i = o; i < o + n; i++) e += x[i]! * x[i]!;
    if (Math.sqrt(e / n) < TRIM_RMS) continue;
    if (first < 0) first = o;
    last = o + n;
  }
  if (first < 0) return x;
  const keep = Math.round((rate * TRIM_KEEP_MS) / 1000);
  return x.subarray(Math.max(0, first - keep), Math.min(x.length, last + keep));
}

/** One utterance through a transcriber session: its final texts joined, their mean confidence. */
async function transcribe(t: Transcriber, rate: number, utterance: Int16Array): Promise<{ text: string; confidence?: number }> {
  const samples = trimSilence(rate, utterance);
  if (t.transcribeUtterance) return t.transcribeUtterance({ rate, samples });
  const session = t.startSession({ rate });
  const finals: { text: string; confidence?: number }[] = [];
  let failed: Error | undefined;
  session.on('result', (r) => { if (r.final) finals.push(r); });
  session.on('error', (e) => { failed = e; });
  session.write(samples);
  await session.end();
  if (failed) throw failed;
  const text = finals.map((f) => f.text).join(' ').trim();
  const conf = finals.filter((f) => f.confidence !== undefined).map((f) => f.confidence!);
  return { text, ...(conf.length ? { confidence: Math.round((conf.reduce((a, b) => a + b, 0) / conf.length) * 1000) / 1000 } : {}) };
}
