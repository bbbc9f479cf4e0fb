// The tenancy store and services on SQLite and on a private PostgreSQL cluster, each case on
// a fresh database: round-trips of every table, unique constraints surfacing as typed
// conflicts, cascades, API keys hashed at rest and shown once, rotation, tenant isolation in
// the services, and config declarations applied twice without duplicates.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { ADMIN, applicationPrincipal, createTenancy, hashApiKey, TenancyError, type Declarations, type Tenancy } from '../src/core/index.ts';
import { FakeClock } from '../src/lib/index.ts';
import { openDatabase, UniqueViolationError, type Store } from '../src/store/index.ts';
import { postgresSkipReason, startPostgres, type PostgresCluster } from './helpers/postgres.ts';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const pgSkip = postgresSkipReason();

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof TenancyError && err.code === code);
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`tenancy on ${backend}`, { skip: backend === 'postgres' ? pgSkip : undefined }, () => {
    let cluster: PostgresCluster | undefined;
    const stores: Store[] = [];
    const dirs: string[] = [];
    const clock = new FakeClock(T0);

    before(async () => {
      if (backend === 'postgres') cluster = await startPostgres();
    });
    after(async () => {
      for (const s of stores) await s.close();
      await cluster?.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    async function fresh(): Promise<{ store: Store; t: Tenancy }> {
      const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-tenancy-'));
      dirs.push(dataDir);
      const url = cluster ? await cluster.createDatabase() : undefined;
      const store = await openDatabase({ url, dataDir, clock });
      stores.push(store);
      await store.migrate();
      return { store, t: createTenancy(store, { clock }) };
    }

    it('creates an application with defaults; the key is stored only as its SHA-256', async () => {
      const { store, t } = await fresh();
      const created = await t.applications.create({ name: 'Acme bot', callbackUrl: 'https://acme.example/hook' });
      assert.match(created.apiKey.key, /^sb_[A-Za-z0-9_-]{43}$/);
      assert.equal(created.apiKey.info.prefix, created.apiKey.key.slice(0, 10));
      assert.equal(created.webhookSecrets.length, 1);
      assert.deepEqual(created.application.limits, {
        maxConcurrentCalls: null, callsPerSecond: null, allowedDestinationPrefixes: [], recordingRetentionDays: null,
      });
      assert.equal(created.application.createdAt, T0);
      const rows = await store.db.selectFrom('api_keys').selectAll().execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0].hash, hashApiKey(created.apiKey.key));
      const dump = JSON.stringify(await sql`select * from api_keys`.execute(store.db));
      assert.ok(!dump.includes(created.apiKey.key), 'the key itself is nowhere in the table');
      assert.deepEqual(await t.applications.get(ADMIN, created.application.id), created.application);
    });

    it('authenticates a key until it is revoked; rotation issues a new one and revokes the old', async () => {
      const { t } = await fresh();
      const { application, apiKey } = await t.applications.create({ name: 'a1' });
      assert.equal((await t.applications.authenticateApiKey(apiKey.key))?.id, application.id);
      assert.equal(await t.applications.authenticateApiKey(`${apiKey.key}x`), undefined);
      assert.equal(await t.applications.authenticateApiKey(''), undefined);
      clock.advance(1000);
      const rotated = await t.applications.rotateApiKey(application.id, apiKey.info.id);
      assert.notEqual(rotated.key, apiKey.key);
      assert.equal(await t.applications.authenticateApiKey(apiKey.key), undefined);
      assert.equal((await t.applications.authenticateApiKey(rotated.key))?.id, application.id);
      const keys = await t.applications.listApiKeys(application.id);
      assert.deepEqual(keys.map((k) => k.revokedAt !== null), [true, false]);
      await rejectsWith(t.applications.rotateApiKey(application.id, apiKey.info.id), 'API_KEY_NOT_FOUND');
      await t.applications.revokeApiKey(application.id, rotated.info.id);
      assert.equal(await t.applications.authenticateApiKey(rotated.key), undefined);
    });

    it('webhook secret rotation keeps the previous secret active, drops the one before', async () => {
      const { t } = await fresh();
      const { application, webhookSecrets: [s1] } = await t.applications.create({ name: 'a1' });
      const [s2, prev] = await t.applications.rotateWebhookSecret(application.id);
      assert.equal(prev, s1);
      assert.notEqual(s2, s1);
      const [s3, prev2] = await t.applications.rotateWebhookSecret(application.id);
      assert.equal(prev2, s2);
      assert.deepEqual(await t.applications.webhookSecrets(application.id), [s3, s2]);
    });

    it('validates every field at once and reports conflicts by code', async () => {
      const { t } = await fresh();
      await assert.rejects(
        t.applications.create({ name: '', callbackUrl: 'ftp://x', limits: { maxConcurrentCalls: -1, allowedDestinationPrefixes: ['44'] } }),
        (err: unknown) => err instanceof TenancyError && err.code === 'VALIDATION_FAILED'
          && err.issues!.map((i) => i.path).join() === '/name,/callbackUrl,/limits/maxConcurrentCalls,/limits/allowedDestinationPrefixes/0',
      );
      await t.applications.create({ name: 'dup' });
      await rejectsWith(t.applications.create({ name: 'dup' }), 'APPLICATION_CONFLICT');
      const other = await t.applications.create({ name: 'other' });
      await rejectsWith(t.applications.update(other.application.id, { name: 'dup' }), 'APPLICATION_CONFLICT');
      const updated = await t.applications.update(other.application.id, { limits: { maxConcurrentCalls: 5, allowedDestinationPrefixes: ['+44'] } });
      assert.deepEqual(updated.limits, { maxConcurrentCalls: 5, callsPerSecond: null, allowedDestinationPrefixes: ['+44'], recordingRetentionDays: null });
    });

    it('numbers: kinds, unique patterns, routes, isolation between applications', async () => {
      const { t } = await fresh();
      const a = (await t.applications.create({ name: 'a' })).application;
      const b = (await t.applications.create({ name: 'b' })).application;
      const asA = applicationPrincipal(a.id);
      const asB = applicationPrincipal(b.id);
      const n1 = await t.numbers.create(asA, { number: '+4930123456' });
      assert.deepEqual([n1.kind, n1.applicationId, n1.routeTo], ['e164', a.id, { type: 'application', target: null }]);
      const n2 = await t.numbers.create(ADMIN, { number: 'sip:*@bots.example.com', applicationId: b.id, routeTo: { type: 'robot', target: 'faq' } });
      assert.equal(n2.kind, 'sip-uri');
      assert.equal((await t.numbers.create(ADMIN, { number: '+4940*', routeTo: { type: 'diagnostic', target: 'answer' } })).kind, 'e164-prefix');
      await rejectsWith(t.numbers.create(asB, { number: '+4930123456' }), 'NUMBER_CONFLICT');
      await rejectsWith(t.numbers.create(asB, { number: '030 123' }), 'VALIDATION_FAILED');
      await rejectsWith(t.numbers.create(asB, { number: '+4930999', applicationId: a.id }), 'FORBIDDEN');
      await rejectsWith(t.numbers.create(ADMIN, { number: '+4930999' }), 'VALIDATION_FAILED'); // application route without owner
      await rejectsWith(t.numbers.create(ADMIN, { number: '+4930999', applicationId: 'app_nope' }), 'APPLICATION_NOT_FOUND');
      assert.deepEqual((await t.numbers.list(asA)).map((n) => n.number), ['+4930123456']);
      assert.equal((await t.numbers.list(ADMIN)).length, 3);
      await rejectsWith(t.numbers.get(asB, n1.id), 'NUMBER_NOT_FOUND');
      await rejectsWith(t.numbers.delete(asB, n1.id), 'NUMBER_NOT_FOUND');
      const moved = await t.numbers.update(asA, n1.id, { routeTo: { type: 'meeting', target: 'standup' } });
      assert.deepEqual(moved.routeTo, { type: 'meeting', target: 'standup' });
      await t.numbers.delete(asA, n1.id);
      await rejectsWith(t.numbers.get(ADMIN, n1.id), 'NUMBER_NOT_FOUND');
    });

    it('trunks: defaults, validation, password never in the view, unique names', async () => {
      const { store, t } = await fresh();
      const tr = await t.trunks.create(ADMIN, {
        name: 'carrier-1', host: 'sip.carrier.example', username: 'u1', password: 'p@ss', register: true,
        inboundSources: ['203.0.113.0/24'], callerIdRules: [{ matchPrefix: '+49', stripDigits: 3, prepend: '0' }],
      });
      assert.deepEqual([tr.port, tr.transport, tr.codecs, tr.hasPassword, tr.register], [5060, 'udp', ['PCMU', 'PCMA'], true, true]);
      assert.ok(!('password' in tr));
      assert.equal((await store.tenancy.trunks.get(tr.id))?.password, 'p@ss', 'stored as given');
      assert.deepEqual((await t.trunks.get(ADMIN, tr.id)).callerIdRules, [{ matchPrefix: '+49', stripDigits: 3, prepend: '0' }]);
      await rejectsWith(t.trunks.create(ADMIN, { name: 'carrier-1', host: 'x.example' }), 'TRUNK_CONFLICT');
      await assert.rejects(t.trunks.create(ADMIN, { name: 'bad', host: 'http://x', port: 70000, register: true, inboundSources: ['300.1.1.1'] }),
        (e: unknown) => e instanceof TenancyError && e.issues!.map((i) => i.path).join() === '/host,/port,/register,/inboundSources/0');
      const tls = await t.trunks.create(ADMIN, { name: 'tls', host: '192.0.2.1', transport: 'tls' });
      assert.equal(tls.port, 5061);
      const upd = await t.trunks.update(ADMIN, tls.id, { port: 5071, codecs: ['opus'] });
      assert.deepEqual([upd.port, upd.codecs, upd.transport], [5071, ['opus'], 'tls']);
      const a = (await t.applications.create({ name: 'a' })).application;
      await rejectsWith(t.trunks.get(applicationPrincipal(a.id), tr.id), 'TRUNK_NOT_FOUND');
      assert.deepEqual(await t.trunks.list(applicationPrincipal(a.id)), []);
    });

    it('SIP users: password or HA1, unique usernames, cascade on application delete', async () => {
      const { store, t } = await fresh();
      const a = (await t.applications.create({ name: 'a' })).application;
      const asA = applicationPrincipal(a.id);
      const u = await t.sipUsers.create(asA, { username: 'alice', password: 'secret-123' });
      assert.equal(u.credential, 'password');
      const h = await t.sipUsers.create(ADMIN, { username: 'bob', ha1: 'A'.repeat(32) });
      assert.equal((await t.sipUsers.credentials('bob'))?.ha1, 'a'.repeat(32));
      assert.equal(h.applicationId, null);
      await rejectsWith(t.sipUsers.create(ADMIN, { username: 'alice', password: 'another-1' }), 'SIP_USER_CONFLICT');
      await rejectsWith(t.sipUsers.create(ADMIN, { username: 'carol', password: 'x', ha1: 'b'.repeat(32) }), 'VALIDATION_FAILED');
      await t.numbers.create(asA, { number: '+15550100' });
      await t.trunks.create(asA, { name: 'own', host: 'h.example' });
      await t.applications.delete(a.id);
      assert.deepEqual((await t.sipUsers.list(ADMIN)).map((x) => x.username), ['bob']);
      assert.deepEqual(await t.numbers.list(ADMIN), []);
      assert.deepEqual(await t.trunks.list(ADMIN), []);
      assert.equal((await store.db.selectFrom('api_keys').selectAll().execute()).length, 0);
      await rejectsWith(t.applications.delete(a.id), 'APPLICATION_NOT_FOUND');
    });

    it('a repository reports unique violations as UniqueViolationError', async () => {
      const { store } = await fresh();
      const rec = { id: 'n1', applicationId: null, pattern: '+1555', kind: 'e164' as const, targetType: 'diagnostic' as const, target: 'answer', createdAt: T0, updatedAt: T0 };
      await store.tenancy.numbers.insert(rec);
      await assert.rejects(store.tenancy.numbers.insert({ ...rec, id: 'n2' }), (e: unknown) => e instanceof UniqueViolationError && e.table === 'numbers');
    });

    it('config declarations apply twice without duplicates; removed literal keys are revoked', async () => {
      const { store, t } = await fresh();
      const decl: Declarations = {
        applications: [{
          name: 'gitops', callbackUrl: 'https://hooks.example/sb', apiKeys: ['literal-key-0123456789', 'literal-key-abcdefghij'],
          numbers: [{ number: '+4930555' }, { number: 'sip:ivr@example.com', routeTo: { type: 'robot', target: 'ivr' } }],
          sipUsers: [{ username: 'desk1', password: 'desk-pass-1' }],
        }],
        trunks: [{ name: 'carrier', host: 'sip.carrier.example', username: 'u', password: 'p' }, { name: 'own', host: 'h.example', application: 'gitops' }],
      };
      const first = await t.applyDeclarations(decl);
      assert.equal(first.created.length, 6);
      const second = await t.applyDeclarations(decl);
      assert.equal(second.created.length, 0);
      const count = async (table: 'applications' | 'api_keys' | 'numbers' | 'trunks' | 'sip_users'): Promise<number> =>
        (await store.db.selectFrom(table).selectAll().execute()).length;
      assert.deepEqual([await count('applications'), await count('numbers'), await count('trunks'), await count('sip_users')], [1, 2, 2, 1]);
      const app = (await t.applications.findByName('gitops'))!;
      assert.equal((await t.applications.authenticateApiKey('literal-key-0123456789'))?.id, app.id);
      const active = (await t.applications.listApiKeys(app.id)).filter((k) => k.revokedAt === null);
      assert.deepEqual(active.map((k) => k.source), ['config', 'config'], 'the generated key of a declared app is not active');
      // Change the file: one key removed, a route changed, a trunk's port changed.
      decl.applications![0].apiKeys = ['literal-key-abcdefghij'];
      decl.applications![0].numbers![0].routeTo = { type: 'meeting', target: 'room1' };
      decl.trunks![0].port = 5080;
      const third = await t.applyDeclarations(decl);
      assert.equal(third.revokedKeys, 1);
      assert.equal(await t.applications.authenticateApiKey('literal-key-0123456789'), undefined);
      assert.equal((await t.numbers.findByNumber(ADMIN, '+4930555'))?.routeTo.type, 'meeting');
      assert.equal((await t.trunks.findByName(ADMIN, 'carrier'))?.port, 5080);
      assert.equal((await t.trunks.findByName(applicationPrincipal(app.id), 'own'))?.applicationId, app.id);
      // A key back in the file is active again.
      decl.applications![0].apiKeys!.push('literal-key-0123456789');
      await t.applyDeclarations(decl);
      assert.equal((await t.applications.authenticateApiKey('literal-key-0123456789'))?.id, app.id);
    });
  });
}
