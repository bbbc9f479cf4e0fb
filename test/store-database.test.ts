// Opening, migrating and closing the store on SQLite and PostgreSQL: file placement and
// pragmas, migration bookkeeping (idempotent, refuses a newer schema, rolls a failed migration
// back whole), connection failures that must not leak a password, and the driver behaviours
// the repositories rely on (bigint as number, surviving a dropped idle connection).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Logger } from '../src/lib/index.ts';
import {
  MIGRATION_TABLE,
  MIGRATIONS,
  migrateToLatest,
  openDatabase,
  SQLITE_FILE,
  type RegistrationRecord,
  type Store,
} from '../src/store/index.ts';
import { postgresSkipReason, startPostgres, type PostgresCluster } from './helpers/postgres.ts';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const T0 = Date.UTC(2024, 0, 1);

function rec(aor: string, contact: string, cseq: number): RegistrationRecord {
  return { aor, contact, expiresAt: T0 + 3_600_000, callId: `c-${aor}`, cseq };
}

/** A Logger that keeps what it is given, to assert on warnings. */
function recordingLogger(): Logger & { lines: { level: string; obj: unknown; msg?: string }[] } {
  const lines: { level: string; obj: unknown; msg?: string }[] = [];
  const at = (level: string) => (obj: unknown, msg?: string) => void lines.push({ level, obj, msg });
  const logger = {
    lines,
    trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'),
    child: () => logger,
  };
  return logger as Logger & { lines: typeof lines };
}

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'switchboard-store-db-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const pgSkip = postgresSkipReason();

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`store migrations on ${backend}`, { skip: backend === 'postgres' ? pgSkip : undefined }, () => {
    let cluster: PostgresCluster | undefined;
    const stores: Store[] = [];
    before(async () => {
      if (backend === 'postgres') cluster = await startPostgres();
    });
    after(async () => {
      for (const s of stores) await s.close();
      await cluster?.stop();
    });
    async function open(): Promise<Store> {
      const store = await openDatabase({ url: cluster ? await cluster.createDatabase() : undefined, dataDir: tempDir() });
      stores.push(store);
      return store;
    }
    async function tableExists(db: Kysely<any>, name: string): Promise<boolean> {
      const tables = await db.introspection.getTables();
      return tables.some((t) => t.name === name);
    }

    it('applies 0001 once; running again applies nothing and keeps the data', async () => {
      const store = await open();
      assert.equal(await tableExists(store.db, 'registrations'), false);
      assert.deepEqual(await migrateToLatest(store.db), Object.keys(MIGRATIONS));
      await store.registrations.put('sip:a@x', [rec('sip:a@x', 'sip:a@h', 1)]);
      assert.deepEqual(await migrateToLatest(store.db), []);
      await store.migrate();
      const done = await (store.db as Kysely<any>).selectFrom(MIGRATION_TABLE).select('name').execute();
      assert.deepEqual(done.map((r) => r.name), Object.keys(MIGRATIONS));
      assert.equal((await store.registrations.list()).length, 1);
    });

    it('refuses a database that a newer build migrated further', async () => {
      const store = await open();
      await store.migrate();
      await (store.db as Kysely<any>)
        .insertInto(MIGRATION_TABLE)
        .values({ name: '9999_from_the_future', timestamp: new Date().toISOString() })
        .execute();
      await assert.rejects(store.migrate(), /store migrations could not run: .*9999_from_the_future/);
    });

    // Named to sort after every real migration, so adding migrations never changes this test.
    const broken = {
      ...MIGRATIONS,
      '9000_broken': {
        async up(db: Kysely<any>) {
          await db.schema.createTable('half_done').addColumn('id', 'integer').execute();
          await sql`select * from no_such_table`.execute(db);
        },
      },
    };

    it('rolls a failed migration back whole, names it, and keeps what an earlier run applied', async () => {
      const store = await open();
      await store.migrate();
      await assert.rejects(migrateToLatest(store.db, { migrations: broken }), /store migration 9000_broken failed/);
      assert.equal(await tableExists(store.db, 'half_done'), false, 'DDL of the failed migration is rolled back');
      assert.equal(await tableExists(store.db, 'registrations'), true, 'earlier run stays applied');
      assert.deepEqual(await migrateToLatest(store.db), []);
    });

    it('applies the pending migrations of one run all or none', async () => {
      const store = await open();
      await assert.rejects(migrateToLatest(store.db, { migrations: broken }), /9000_broken/);
      assert.equal(await tableExists(store.db, 'registrations'), false);
      assert.deepEqual(await migrateToLatest(store.db), Object.keys(MIGRATIONS));
    });

    it('logs each migration it applies', async () => {
      const logger = recordingLogger();
      const store = await open();
      await migrateToLatest(store.db, { logger });
      assert.deepEqual(
        logger.lines.filter((l) => l.msg === 'store migration applied').map((l) => l.obj),
        Object.keys(MIGRATIONS).map((migration) => ({ migration })),
      );
    });
  });
}

describe('openDatabase on SQLite', () => {
  it('creates <dataDir>/switchboard.db (and the directory, 0700) with WAL, NORMAL sync, FKs and busy_timeout', async () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const store = await openDatabase({ dataDir, busyTimeoutMs: 1234 });
    try {
      assert.equal(store.dialect, 'sqlite');
      assert.equal(store.location, join(dataDir, SQLITE_FILE));
      assert.ok(existsSync(join(dataDir, SQLITE_FILE)));
      assert.equal(statSync(dataDir).mode & 0o777, 0o700);
      const pragma = async (name: string) =>
        Object.values((await sql.raw(`pragma ${name}`).execute(store.db)).rows[0] as object)[0];
      assert.equal(await pragma('journal_mode'), 'wal');
      assert.equal(await pragma('synchronous'), 1); // NORMAL
      assert.equal(await pragma('foreign_keys'), 1);
      assert.equal(await pragma('busy_timeout'), 1234);
    } finally {
      await store.close();
    }
  });

  it('close() is idempotent, later queries reject, and a never-used store releases its file', async () => {
    const dataDir = tempDir();
    const unused = await openDatabase({ dataDir });
    await unused.close();
    const store = await openDatabase({ dataDir }); // would throw "already open" had it leaked
    await store.migrate();
    await store.close();
    await store.close();
    await assert.rejects(store.registrations.list());
  });

  it('another process writing the same file at the same time waits its turn (WAL + busy_timeout)', async (t) => {
    const dataDir = tempDir();
    const store = await openDatabase({ dataDir });
    t.after(() => store.close());
    await store.migrate();
    const rounds = 40;
    const script = join(dataDir, 'writer.mts');
    writeFileSync(
      script,
      `import { openDatabase } from ${JSON.stringify(join(ROOT, 'src/store/index.ts'))};
       const s = await openDatabase({ dataDir: ${JSON.stringify(dataDir)}, busyTimeoutMs: 5000 });
       for (let i = 1; i <= ${rounds}; i++) {
         const b = (aor: string) => ({ aor, contact: 'sip:child@h', expiresAt: ${T0}, callId: 'child', cseq: i });
         await s.registrations.put('sip:child@x', [b('sip:child@x')]);
         await s.registrations.put('sip:shared@x', [b('sip:shared@x')]);
       }
       await s.close();`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((res) => child.on('exit', res));
    // Write until the child is done (or has written enough rounds alongside us).
    let mine = 0;
    let childDone = false;
    void exited.then(() => (childDone = true));
    while (!childDone || mine < rounds) {
      mine++;
      // Hold the write lock about half the time (cheap on CPU), so the child meets it often
      // yet is not starved: SQLite's lock is not fair, a waiter just retries after a sleep.
      await store.transaction(async (tx) => {
        await tx.registrations.put('sip:parent@x', [rec('sip:parent@x', 'sip:parent@h', mine)]);
        await tx.registrations.put('sip:shared@x', [rec('sip:shared@x', 'sip:parent@h', mine)]);
        await new Promise((r) => setTimeout(r, 2));
      });
      await new Promise((r) => setTimeout(r, 2));
      if (mine > 5_000) break;
    }
    assert.equal(await exited, 0, `child failed: ${stderr}`);
    assert.equal((await store.registrations.get('sip:child@x'))[0].cseq, rounds);
    assert.equal((await store.registrations.get('sip:parent@x'))[0].cseq, mine);
    assert.equal((await store.registrations.get('sip:shared@x')).length, 1);
  });

  it('rejects a DATABASE_URL that is not PostgreSQL without echoing it', async () => {
    await assert.rejects(
      openDatabase({ url: 'mysql://root:hunter2@db/x', dataDir: tempDir() }),
      (err: Error) => /postgres:\/\/ or postgresql:\/\//.test(err.message) && !err.message.includes('hunter2'),
    );
  });

  it('treats an empty DATABASE_URL as unset (SQLite)', async () => {
    const store = await openDatabase({ url: '  ', dataDir: tempDir() });
    assert.equal(store.dialect, 'sqlite');
    await store.close();
  });
});

describe('openDatabase on PostgreSQL', { skip: pgSkip }, () => {
  let cluster: PostgresCluster;
  before(async () => {
    cluster = await startPostgres();
  });
  after(() => cluster?.stop());

  it('says where it could not connect, without the password, and leaves nothing open', async () => {
    const url = `postgres://switchboard:hunter2@127.0.0.1:${cluster.port}/no_such_db`;
    await assert.rejects(openDatabase({ url, dataDir: tempDir(), connectTimeoutMs: 2000 }), (err: Error) => {
      assert.match(err.message, /cannot connect to PostgreSQL at postgres:\/\/switchboard@127\.0\.0\.1:\d+\/no_such_db/);
      assert.ok(!err.message.includes('hunter2'), err.message);
      return true;
    });
  });

  it('reads bigint as a JS number and refuses one that a number cannot hold exactly', async () => {
    const store = await openDatabase({ url: cluster.url, dataDir: tempDir() });
    try {
      assert.equal(store.location, `postgres://postgres@127.0.0.1:${cluster.port}/switchboard_test`);
      const r = await sql<{ n: unknown }>`select ${2 ** 53 - 1}::bigint as n`.execute(store.db);
      assert.equal(r.rows[0].n, 2 ** 53 - 1);
      await assert.rejects(sql`select 9007199254740993::bigint as n`.execute(store.db), RangeError);
    } finally {
      await store.close();
    }
  });

  it('survives the server dropping an idle connection: logs it, the next query reconnects', async () => {
    const logger = recordingLogger();
    const url = await cluster.createDatabase();
    const store = await openDatabase({ url, dataDir: tempDir(), logger });
    try {
      await store.migrate();
      const db = url.slice(url.lastIndexOf('/') + 1);
      const admin = new pg.Client({ connectionString: cluster.url });
      await admin.connect();
      try {
        const killed = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [db]);
        assert.ok(killed.rowCount && killed.rowCount > 0);
      } finally {
        await admin.end();
      }
      for (let i = 0; i < 50 && !logger.lines.some((l) => l.level === 'warn'); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(logger.lines.some((l) => l.level === 'warn' && l.msg === 'PostgreSQL idle connection failed'));
      assert.deepEqual(await store.registrations.list(), []);
    } finally {
      await store.close();
    }
  });
});

describe('the private PostgreSQL test cluster helper', () => {
  it('skips with a reason without binaries, but fails under CI=true', (t) => {
    const saved = process.env.CI;
    t.after(() => {
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    });
    const nowhere = join(tempDir(), 'no-postgresql');
    delete process.env.CI;
    assert.match(postgresSkipReason(nowhere) ?? '', /not found in .*no-postgresql.*install postgresql/);
    process.env.CI = 'true';
    assert.throws(() => postgresSkipReason(nowhere), /CI must install the postgresql package/);
  });
});
