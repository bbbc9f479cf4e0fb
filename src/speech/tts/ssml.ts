/**
 * The SSML subset we promise (SSML 1.1, W3C REC 2010), turned into a flat list of segments the
 * synthesizer renders one by one: text with a rate factor, or silence of a given length.
 * We pre-process ourselves instead of handing SSML to espeak-ng because its SSML mode reads
 * <say-as interpret-as="digits"> "1234" as "one thousand two hundred …" in some voices and only
 * knows a few interpret-as values; doing it here gives the same result for every voice and makes
 * break lengths exact (silence is inserted as samples).
 *
 * Supported: <speak>, <break time="500ms|1s" strength="none…x-strong"/>, <say-as
 * interpret-as="digits|telephone|characters|spell-out">, <prosody rate="x-slow|slow|medium|fast|
 * x-fast|N%|N">, <p>/<s> (a sentence pause). Other elements are dropped but their text is kept
 * (so <emphasis>, <voice>, <sub> degrade to plain reading); <!-- comments --> are ignored.
 */
import { SpeechError } from '../types.ts';

export type Segment = { kind: 'text'; text: string; rate: number } | { kind: 'break'; ms: number };

/** SSML §3.2.3 break strengths, in ms (values chosen to sound like espeak-ng's own pauses). */
const STRENGTH_MS: Record<string, number> = { none: 0, 'x-weak': 100, weak: 200, medium: 400, strong: 700, 'x-strong': 1200 };
/** SSML §3.2.4 prosody rate labels as factors of the normal rate. */
const RATE_LABELS: Record<string, number> = { 'x-slow': 0.5, slow: 0.75, medium: 1, default: 1, fast: 1.35, 'x-fast': 1.75 };
/** Longest single break we honour (SSML sets no limit; a typo like "100s" should not stall a call). */
const MAX_BREAK_MS = 10_000;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? m;
  });
}

function parseAttrs(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([\w:-]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) out[m[1].toLowerCase()] = decodeEntities(m[3] ?? m[4] ?? '');
  return out;
}

/** SSML §3.2.3: "250ms", "1.5s". */
export function parseTime(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*$/i.exec(v);
  if (!m) throw new SpeechError('BAD_SSML', `break time '${v}' is not like '500ms' or '1s'`);
  const ms = parseFloat(m[1]) * (m[2].toLowerCase() === 's' ? 1000 : 1);
  return Math.min(MAX_BREAK_MS, Math.round(ms));
}

function parseRate(v: string): number {
  const t = v.trim().toLowerCase();
  if (t in RATE_LABELS) return RATE_LABELS[t];
  let m = /^([+-]?\d+(?:\.\d+)?)%$/.exec(t);
  if (m) {
    // "+10%" is relative (a change), "90%" is a fraction of the normal rate (SSML 1.1 §3.2.4).
    const n = parseFloat(m[1]);
    return /^[+-]/.test(t) ? 1 + n / 100 : n / 100;
  }
  m = /^(\d+(?:\.\d+)?)$/.exec(t);
  if (m) return parseFloat(m[1]);
  throw new SpeechError('BAD_SSML', `prosody rate '${v}' not understood`);
}

/** Digits read one by one: "1234" → "1, 2, 3, 4" (the commas make espeak-ng pause between them). */
export function digitsToWords(s: string): string {
  return Array.from(s.replace(/\D+/g, '')).join(', ');
}

/**
 * A telephone number read the way people read them: digit by digit, groups (split on spaces,
 * dashes, dots, brackets) separated by a longer pause; "+" read as "plus".
 */
export function telephoneToSegments(s: string, rate: number): Segment[] {
  const out: Segment[] = [];
  const groups = s.trim().split(/[\s\-.()/]+/).filter(Boolean);
  groups.forEach((g, i) => {
    const plus = g.startsWith('+') ? 'plus, ' : '';
    const digits = digitsToWords(g);
    if (!digits && !plus) return;
    if (i > 0 && out.length) out.push({ kind: 'break', ms: 250 });
    out.push({ kind: 'text', text: plus + digits, rate });
  });
  return out;
}

/** Letters and digits one at a time ("AB1" → "A, B, 1"). */
function spellOut(s: string): string {
  return Array.from(s.replace(/\s+/g, '')).join(', ');
}

interface Frame {
  name: string;
  rate: number;
  sayAs?: string;
  text: string;
}

/** Parse the SSML subset into segments. Throws SpeechError('BAD_SSML') on malformed markup. */
export function ssmlToSegments(ssml: string, baseRate = 1): Segment[] {
  const out: Segment[] = [];
  const stack: Frame[] = [{ name: '#root', rate: baseRate, text: '' }];
  const top = () => stack[stack.length - 1];
  const emitText = (text: string, rate: number) => {
    if (!text.trim()) return;
    const last = out[out.length - 1];
    if (last && last.kind === 'text' && last.rate === rate) last.text += text;
    else out.push({ kind: 'text', text, rate });
  };
  const re = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<(\/?)([\w:-]+)((?:\s+[\w:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)|(<)/g;
  for (const m of ssml.matchAll(re)) {
    const [, close, rawName, attrStr, selfClose, text, stray] = m;
    if (stray) throw new SpeechError('BAD_SSML', `stray '<' at offset ${m.index}`);
    if (text !== undefined) {
      const f = top();
      const t = decodeEntities(text);
      if (f.sayAs) f.text += t;
      else emitText(t, f.rate);
      continue;
    }
    if (!rawName) continue; // comment or processing instruction
    const name = rawName.toLowerCase().replace(/^.*:/, '');
    if (close) {
      const f = stack.pop();
      if (!f || f.name !== name || stack.length === 0) throw new SpeechError('BAD_SSML', `unexpected </${name}>`);
      if (f.sayAs) {
        if (f.sayAs === 'telephone') out.push(...telephoneToSegments(f.text, f.rate));
        else if (f.sayAs === 'digits') emitText(` ${digitsToWords(f.text)}, `, f.rate);
        else if (f.sayAs === 'characters' || f.sayAs === 'spell-out') emitText(` ${spellOut(f.text)}, `, f.rate);
        else emitText(f.text, f.rate); // unknown interpret-as: read as written
      }
      if (name === 'p' || name === 's') emitText('. ', f.rate);
      continue;
    }
    const attrs = parseAttrs(attrStr ?? '');
    if (name === 'break') {
      const ms = attrs.time !== undefined ? parseTime(attrs.time) : STRENGTH_MS[attrs.strength ?? 'medium'] ?? 400;
      if (ms > 0) out.push({ kind: 'break', ms });
      if (!selfClose) stack.push({ name, rate: top().rate, text: '' });
      continue;
    }
    const parent = top();
    const frame: Frame = { name, rate: parent.rate, text: '' };
    if (name === 'prosody' && attrs.rate !== undefined) frame.rate = parent.rate * parseRate(attrs.rate);
    if (name === 'say-as') frame.sayAs = (attrs['interpret-as'] ?? '').toLowerCase();
    if (parent.sayAs) frame.sayAs = parent.sayAs;
    if (!selfClose) stack.push(frame);
  }
  if (stack.length !== 1) throw new SpeechError('BAD_SSML', `<${top().name}> is not closed`);
  return out;
}
