#!/usr/bin/env node
// The `switchboard` command. Runs the TypeScript sources through tsx's loader so a fresh
// checkout needs no build step (`npm install && npm start`).
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');
