// Shared by the media operations (play, recognize, recordResponse, hold): play sources as the
// API gives them (files, URLs, TTS text/SSML), turned into MediaEndpoint PlayItems through
// the Synthesizer port, and running a MediaOperation so that cancelling the core operation
// cancels the media one.
import { resolve, sep } from 'node:path';
import type { Leg } from '../calls/leg.ts';
import type { MediaOperation, MediaResult, PlayItem } from '../ports/index.ts';
import { CallError } from '../calls/call-error.ts';
import type { OperationContext } from './operation.ts';
import type { Check } from './validate.ts';

/** What an application may ask to play. */
export type PlaySource =
  | { kind: 'file'; path: string }
  | { kind: 'url'; url: string }
  | { kind: 'tts'; text?: string; ssml?: string; voice?: string; language?: string }
  | { kind: 'tone'; frequencies: number[]; durationMs: number }
  | { kind: 'silence'; durationMs: number };

const MAX_TTS_CHARS = 4000;

/** Validates `check.p[key]` as a list of 1..20 play sources. */
export function checkPlaySources(check: Check, key: string, required: boolean): PlaySource[] {
  const v = check.p[key];
  if (v === undefined || v === null) {
    if (required) check.fail(key, 'is required');
    return [];
  }
  if (!Array.isArray(v) || v.length === 0 || v.length > 20) {
    check.fail(key, 'must be a list of 1 to 20 sources');
    return [];
  }
  const out: PlaySource[] = [];
  v.forEach((s: unknown, i) => {
    const o = (typeof s === 'object' && s !== null ? s : {}) as Record<string, unknown>;
    const path = `${key}/${i}`;
    switch (o.kind) {
      case 'file':
        // Relative, no `..`, no NUL: an absolute path ("/etc/…", "C:\\…", "\\\\host\\…") would let an
        // application read any audio file the node can (api-hostile-input.test.ts found "/etc/passwd" opened).
        if (typeof o.path === 'string' && o.path.length > 0 && !o.path.split(/[\\/]/).includes('..') && !/^([\\/]|[A-Za-z]:)/.test(o.path) && !o.path.includes('\0')) {
          out.push({ kind: 'file', path: o.path });
        } else check.fail(`${path}/path`, 'must be a relative path without .. or NUL');
        break;
      case 'url':
        if (typeof o.url === 'string' && /^https?:\/\//.test(o.url)) out.push({ kind: 'url', url: o.url });
        else check.fail(`${path}/url`, 'must be an http(s) URL');
        break;
      case 'tts': {
        const text = typeof o.text === 'string' ? o.text : undefined;
        const ssml = typeof o.ssml === 'string' ? o.ssml : undefined;
        if ((text === undefined) === (ssml === undefined)) check.fail(path, 'tts needs exactly one of text or ssml');
        else if ((text ?? ssml ?? '').length > MAX_TTS_CHARS) check.fail(path, `tts is limited to ${MAX_TTS_CHARS} characters`);
        else out.push({ kind: 'tts', ...(text !== undefined ? { text } : { ssml }), ...(typeof o.voice === 'string' ? { voice: o.voice } : {}), ...(typeof o.language === 'string' ? { language: o.language } : {}) });
        break;
      }
      case 'tone':
        if (Array.isArray(o.frequencies) && o.frequencies.every((f) => typeof f === 'number' && f > 0 && f < 4000) && typeof o.durationMs === 'number' && o.durationMs > 0 && o.durationMs <= 60000) {
          out.push({ kind: 'tone', frequencies: o.frequencies as number[], durationMs: o.durationMs });
        } else check.fail(path, 'tone needs frequencies (Hz, < 4000) and durationMs (1..60000)');
        break;
      case 'silence':
        if (typeof o.durationMs === 'number' && o.durationMs > 0 && o.durationMs <= 60000) out.push({ kind: 'silence', durationMs: o.durationMs });
        else check.fail(path, 'silence needs durationMs (1..60000)');
        break;
      default:
        check.fail(`${path}/kind`, 'must be file, url, tts, tone or silence');
    }
  });
  return out;
}

/**
 * A 'file' source's path inside the node's media directory (validation already refused absolute
 * paths and '..'); without a media directory the path is used as given.
 */
function inMediaDir(dir: string | undefined, path: string): string {
  if (!dir) return path;
  const full = resolve(dir, path);
  if (full !== dir && !full.startsWith(dir.endsWith(sep) ? dir : dir + sep)) throw new CallError('VALIDATION_FAILED', `file ${path} is outside the media directory`, [{ path: 'path', message: 'must stay inside the media directory' }]);
  return full;
}

/** Synthesizes TTS sources (counting usage on the call) and maps the rest to PlayItems. */
export async function toPlayItems(ctx: OperationContext, sources: readonly PlaySource[]): Promise<PlayItem[]> {
  const items: PlayItem[] = [];
  for (const s of sources) {
    if (s.kind === 'file') {
      items.push({ kind: 'file', path: inMediaDir(ctx.env.mediaDir, s.path) });
      continue;
    }
    if (s.kind !== 'tts') {
      items.push(s);
      continue;
    }
    const synth = ctx.env.synthesizer;
    if (!synth) throw new CallError('NOT_CONFIGURED', 'no speech synthesizer is configured');
    const r = await synth.synthesize({ ...(s.text !== undefined ? { text: s.text } : { ssml: s.ssml }), ...(s.voice ? { voice: s.voice } : {}), ...(s.language ? { language: s.language } : {}) });
    const u = ctx.call.ttsUsage;
    u.requests++;
    u.characters += (s.text ?? s.ssml ?? '').length;
    if (r.cached) u.cachedHits++;
    items.push({ kind: 'pcm', rate: r.rate, samples: r.samples });
  }
  return items;
}

/** Waits for a media operation, cancelling it when the core operation is cancelled. */
export function followMedia(ctx: OperationContext, op: MediaOperation): Promise<MediaResult> {
  const onAbort = (): void => { void op.cancel().catch(() => {}); };
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener('abort', onAbort, { once: true });
  return op.done.finally(() => ctx.signal.removeEventListener('abort', onAbort));
}

/** The legs an operation addresses: `legId`, or every answered leg when `all`, else the primary. */
export function targetLegs(ctx: OperationContext, legId: string | undefined, all: boolean): Leg[] {
  const call = ctx.call;
  if (legId !== undefined) {
    const l = call.legs.get(legId);
    if (!l?.live) throw new CallError('LEG_NOT_FOUND', `no live leg ${legId} in call ${call.id}`);
    return [l];
  }
  if (all) return call.liveLegs().filter((l) => l.state === 'answered');
  const p = call.primaryLeg;
  if (!p?.live) throw new CallError('INVALID_STATE', `call ${call.id} has no live leg`);
  return [p];
}
