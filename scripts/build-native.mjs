// Builds the native parts of the media engine (native/*.c → native/build/*.node) with the C
// compiler and Node's own headers (Node-API: one build runs on every Node ≥ 20). Idempotent: a
// module newer than its source is kept. Never fails the install: without a compiler or headers
// it says so and the engine runs its JavaScript path (docs/adr/0006-native-rtp-pacer.md).
//
//   node scripts/build-native.mjs [--force] [--quiet]
//
// Runs from `npm install` (postinstall) and before the test suite (scripts/test.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const force = process.argv.includes('--force');
const quiet = process.argv.includes('--quiet');
const say = (m) => { if (!quiet) console.log(`build-native: ${m}`); };
// CI sets it: there a module that could not be built is a failed install, not a fallback.
const required = process.env.SWITCHBOARD_NATIVE_REQUIRED === '1';

const modules = [{ src: 'native/rtp-pacer.c', out: 'native/build/rtp_pacer.node', libs: ['-lpthread'] }];

function headersDir() {
  const candidates = [
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node'),
    join(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  return candidates.find((d) => existsSync(join(d, 'node_api.h')));
}

if (process.platform !== 'linux') {
  say(`skipped on ${process.platform}: the pacer is Linux-only; the JavaScript send path is used`);
  process.exit(0);
}
const inc = headersDir();
if (!inc) {
  console.warn('build-native: Node headers (node_api.h) not found: the media engine will use its JavaScript send path');
  process.exit(required ? 1 : 0);
}
const cc = process.env.CC || 'cc';
let failed = 0;
for (const m of modules) {
  const src = join(root, m.src);
  const out = join(root, m.out);
  if (!force && existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) continue;
  mkdirSync(dirname(out), { recursive: true });
  const args = ['-O2', '-std=gnu11', '-Wall', '-Wextra', '-Wno-unused-parameter', '-shared', '-fPIC', '-fvisibility=hidden', `-I${inc}`, '-o', out, src, ...m.libs];
  const r = spawnSync(cc, args, { stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.warn(`build-native: ${cc} ${m.src} failed (${r.error?.message ?? `exit ${r.status}`}): the media engine will use its JavaScript send path`);
  } else {
    say(`built ${m.out}`);
  }
}
process.exit(required && (failed || modules.some((m) => !existsSync(join(root, m.out)))) ? 1 : 0);
