// CLI dispatch with an in-memory io: help, version, unknown commands and options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from './main.ts';
import type { CliIo } from './command.ts';
import { VERSION } from '../server/index.ts';

function io(env: NodeJS.ProcessEnv = {}): CliIo & { out: string; err: string } {
  const r = { out: '', err: '', env, stdout: (t: string) => { r.out += t; }, stderr: (t: string) => { r.err += t; } };
  return r;
}

test('--help lists every command; <cmd> --help shows its usage', async () => {
  const a = io();
  assert.equal(await main(['--help'], a), 0);
  assert.match(a.out, /^ {2}serve +run a Switchboard node/m);
  assert.match(a.out, /^ {2}version +print the version/m);
  const b = io();
  assert.equal(await main(['serve', '--help'], b), 0);
  assert.match(b.out, /--config <file>/);
});

test('version prints the package version', async () => {
  for (const argv of [['version'], ['--version']]) {
    const a = io();
    assert.equal(await main(argv, a), 0);
    assert.equal(a.out, `${VERSION}\n`);
  }
});

test('unknown commands and options exit 2 with a readable message', async () => {
  const a = io();
  assert.equal(await main(['frobnicate'], a), 2);
  assert.match(a.err, /unknown command "frobnicate"/);
  const b = io();
  assert.equal(await main(['serve', '--nope'], b), 2);
  assert.match(b.err, /Unknown option '--nope'/);
});

test('a configuration error exits 2 naming the key, before anything starts', async () => {
  const a = io({ SWITCHBOARD_HTTP_PORT: '99999' });
  assert.equal(await main([], a), 2);
  assert.equal(a.err, 'switchboard: configuration error: SWITCHBOARD_HTTP_PORT: must be a port number 1..65535 (or 0 for any free port), got "99999"\n');
  const b = io({});
  assert.equal(await main(['--config', '/nonexistent/sb.yaml'], b), 2, 'options without a command go to serve');
  assert.match(b.err, /SWITCHBOARD_CONFIG: config file \/nonexistent\/sb\.yaml does not exist/);
});
