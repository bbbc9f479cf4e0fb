// The admin API key. An operator-supplied key (SWITCHBOARD_ADMIN_KEY) always wins. Otherwise
// the first start generates one, stores it in the data directory readable by the owner only
// (0600), and prints it ONCE to stdout — never to the log, which may be shipped elsewhere.
// Later starts read the stored key silently.
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ADMIN_KEY_FILE = 'admin-key';

export interface AdminKey {
  key: string;
  /** config: from env/YAML; stored: read from the data dir; generated: created just now. */
  source: 'config' | 'stored' | 'generated';
  /** Path of the stored key file (stored or generated). */
  file?: string;
}

export interface EnsureAdminKeyOptions {
  /** Directory that holds the key file; must exist. */
  dataDir: string;
  /** Key from configuration; when set, nothing is read, written or printed. */
  configured?: string;
  /** Prints the one-time announcement; default writes the line to stdout. */
  print?: (line: string) => void;
}

/** 32 random bytes, URL-safe, with a prefix that makes a leaked key easy to grep for. */
function generateKey(): string {
  return `sbk_${randomBytes(32).toString('base64url')}`;
}

function readStored(file: string): string {
  const key = readFileSync(file, 'utf8').trim();
  if (key.length < 16) throw new Error(`admin key file ${file} is empty or too short; delete it to generate a new key`);
  // Keep the secret private even if someone loosened the mode by hand.
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return key;
}

export function ensureAdminKey(opts: EnsureAdminKeyOptions): AdminKey {
  if (opts.configured) return { key: opts.configured, source: 'config' };
  const file = join(opts.dataDir, ADMIN_KEY_FILE);
  const key = generateKey();
  try {
    // 'wx' fails if the file exists, so two processes sharing a data dir cannot both win.
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { key: readStored(file), source: 'stored', file };
    throw err;
  }
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  print(`Switchboard admin API key (shown once, stored in ${file}): ${key}`);
  return { key, source: 'generated', file };
}
