// Layer lint: imports point down the layers drawn in ARCHITECTURE.md, and a layer is entered
// only through its index.ts. Runs inside `npm test`; exits non-zero with one line per breach.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const src = join(root, 'src');

/** Which layers each layer may import. Anything not listed is a breach. */
export const ALLOWED: Record<string, readonly string[]> = {
  cli: ['server', 'lib'],
  server: ['faces', 'robots', 'adapters', 'cluster', 'http', 'events', 'core', 'store', 'lib',
    'sip', 'sdp', 'webrtc', 'media', 'speech'],
  faces: ['http', 'events', 'core', 'lib'],
  robots: ['http', 'events', 'core', 'lib'],
  adapters: ['core', 'sip', 'sdp', 'webrtc', 'media', 'speech', 'lib'],
  cluster: ['events', 'core', 'store', 'lib'],
  http: ['events', 'core', 'lib'],
  events: ['core', 'store', 'lib'],
  core: ['store', 'lib'],
  store: ['lib'],
  sip: ['lib'],
  sdp: ['lib'],
  webrtc: ['sdp', 'media', 'lib'],
  media: ['lib'],
  speech: ['media', 'lib'],
  lib: [],
};

/** A module's layer and its unit: faces/<dialect> is a unit of its own. */
function unitOf(file: string): { layer: string; unit: string } | undefined {
  const rel = relative(src, file).split(sep);
  if (rel[0] === '..' || rel.length < 2) return undefined;
  const layer = rel[0];
  const unit = layer === 'faces' && rel.length > 2 ? `faces/${rel[1]}` : layer;
  return { layer, unit };
}

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

export function lint(): string[] {
  const problems: string[] = [];
  for (const file of walk(src, [])) {
    const from = unitOf(file);
    if (!from) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2];
      if (!spec || !spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      const to = unitOf(target);
      if (!to || to.unit === from.unit) continue;
      const where = `${relative(root, file)}: imports ${spec}`;
      if (!(ALLOWED[from.layer] ?? []).includes(to.layer) && !(from.layer === 'faces' && to.layer === 'faces')) {
        problems.push(`${where} — layer ${from.layer} may not import ${to.layer}`);
      } else if (from.layer === 'faces' && to.layer === 'faces') {
        problems.push(`${where} — one face may not import another`);
      }
      const rel = relative(join(src, to.unit), target);
      if (rel !== 'index.ts' && rel !== 'index.js' && rel !== '' && rel !== 'index') {
        problems.push(`${where} — enter ${to.unit} through its index.ts, not its internals`);
      }
    }
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const problems = lint();
  for (const p of problems) console.error(p);
  if (problems.length) {
    console.error(`layer lint: ${problems.length} problem(s)`);
    process.exit(1);
  }
  console.log('layer lint: ok');
}
