// A private PostgreSQL cluster for one test file: initdb into a temp directory, a server on a
// free loopback port with its socket in that directory, torn down (data and all) by stop().
// Tests never touch a system cluster, so they run side by side and leave nothing behind.
//
// Binaries come from /usr/lib/postgresql/<version>/bin (Debian/Ubuntu layout, newest wins).
// Without them, postgresSkipReason() says why so the suite can skip — except under CI=true,
// where it throws: CI installs postgresql, and a silently skipped backend is an untested one.
// initdb refuses to run as root, so as root every server command runs as the `postgres` OS
// user (created by the Debian package) through runuser, in a directory chowned to it.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const PG_ROOT = '/usr/lib/postgresql';

/** Newest <root>/<version>/bin holding initdb and pg_ctl, or undefined. */
export function findPostgresBin(root = PG_ROOT): string | undefined {
  let versions: string[];
  try {
    versions = readdirSync(root);
  } catch {
    return undefined;
  }
  const usable = versions
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return usable.length ? join(root, usable[0], 'bin') : undefined;
}

/**
 * Why PostgreSQL tests cannot run here (pass it as `{ skip }`), or undefined when they can.
 * Throws under CI=true instead of skipping.
 */
export function postgresSkipReason(root = PG_ROOT): string | undefined {
  if (findPostgresBin(root)) return undefined;
  const why = `PostgreSQL server binaries (initdb, pg_ctl) not found in ${root}/*/bin`;
  if (process.env.CI === 'true') throw new Error(`${why}; CI must install the postgresql package`);
  return `${why} (install postgresql to run these tests)`;
}

export interface PostgresCluster {
  /** URL of a database created at start (`switchboard_test`), as postgres, trust auth. */
  url: string;
  port: number;
  /** Creates a fresh empty database and returns its URL (each test can have its own). */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server immediately and deletes its directory; idempotent. */
  stop(): Promise<void>;
}

function run(cmd: string, args: string[], asUser: string | undefined, timeoutMs = 60_000): Promise<string> {
  const [file, argv] = asUser ? ['runuser', ['-u', asUser, '--', cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no server log)';
  }
}

let dbCounter = 0;

export async function startPostgres(): Promise<PostgresCluster> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(postgresSkipReason() ?? 'PostgreSQL binaries not found');
  const asUser = process.getuid?.() === 0 ? 'postgres' : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  if (asUser) {
    let ids: string[];
    try {
      ids = execFileSync('id', ['-u', asUser], { encoding: 'utf8' }).trim().split('\n');
    } catch {
      rmSync(dir, { recursive: true, force: true });
      throw new Error('running as root but there is no `postgres` OS user to run initdb as');
    }
    const gid = Number(execFileSync('id', ['-g', asUser], { encoding: 'utf8' }).trim());
    chownSync(dir, Number(ids[0]), gid);
  }

  const pgCtl = join(bin, 'pg_ctl');
  let stopped = false;
  const stopSync = (): void => {
    if (stopped) return;
    stopped = true;
    const [file, argv] = asUser
      ? ['runuser', ['-u', asUser, '--', pgCtl, '-D', data, '-m', 'immediate', '-w', '-s', 'stop']]
      : [pgCtl, ['-D', data, '-m', 'immediate', '-w', '-s', 'stop']];
    if (existsSync(join(data, 'postmaster.pid'))) spawnSync(file, argv, { stdio: 'ignore', timeout: 30_000 });
    rmSync(dir, { recursive: true, force: true });
  };
  // A test file that crashes before after() still must not leave a server running.
  process.once('exit', stopSync);

  try {
    // Test speed over durability: nothing here must survive a power cut.
    await run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], asUser);
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const serverOpts = `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
      try {
        await run(pgCtl, ['-D', data, '-l', log, '-w', '-t', '30', '-s', '-o', serverOpts, 'start'], asUser);
        break;
      } catch (err) {
        // Another process may have taken the port between freePort() and the bind.
        if (attempt >= 3) throw new Error(`${(err as Error).message}\nserver log:\n${tail(log)}`);
      }
    }

    const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const createDatabase = async (name?: string): Promise<string> => {
      const db = name ?? `t${process.pid}_${++dbCounter}`;
      if (!/^[a-z_][a-z0-9_]*$/.test(db)) throw new Error(`unsafe database name ${db}`);
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`create database ${db}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${db}`;
    };
    const url = await createDatabase('switchboard_test');
    return {
      url,
      port,
      createDatabase,
      async stop() {
        process.removeListener('exit', stopSync);
        stopSync();
      },
    };
  } catch (err) {
    process.removeListener('exit', stopSync);
    stopSync();
    throw err;
  }
}
