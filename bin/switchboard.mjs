#!/usr/bin/env node
// The `switchboard` command. Runs the TypeScript sources through tsx's loader so a fresh
// checkout needs no build step (`npm install && npm start`).
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli/main.ts');
try {
  const result = await main(process.argv.slice(2));
  // 'running': a long-lived command (serve) owns the process and exits on its own.
  if (result !== 'running') process.exitCode = result;
} catch (err) {
  console.error(err);
  process.exitCode = 1;
}
