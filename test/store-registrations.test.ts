// The durable registrar bindings: the same cases against SQLite (a temp data dir) and a
// private PostgreSQL cluster, each case on a fresh database. It also pins, at compile time,
// that RegistrationRepository is exactly the registrar's BindingStore, and shows a Registrar's
// bindings surviving a store restart.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../src/lib/index.ts';
import { SipRequest } from '../src/sip/message/index.ts';
import { Registrar, type Binding, type BindingSource, type BindingStore } from '../src/sip/registrar/index.ts';
import {
  openDatabase,
  RegistrationRepository,
  type RegistrationRecord,
  type RegistrationSource,
  type Store,
} from '../src/store/index.ts';
import { postgresSkipReason, startPostgres, type PostgresCluster } from './helpers/postgres.ts';

// ---- compile-time contract: the store's types are the registrar's, exactly -----------------
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const sameRecord: Equal<RegistrationRecord, Binding> = true;
const sameSource: Equal<RegistrationSource, BindingSource> = true;
const sameMethods: Equal<
  Pick<RegistrationRepository, 'get' | 'put' | 'remove' | 'list' | 'purgeExpired'>,
  Required<BindingStore>
> = true;
function asBindingStore(repo: RegistrationRepository): BindingStore {
  const s: BindingStore = repo; // the server passes the repository to the Registrar like this
  return s;
}
void [sameRecord, sameSource, sameMethods, asBindingStore];

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const AOR = 'sip:alice@example.com';

function binding(over: Partial<RegistrationRecord> = {}): RegistrationRecord {
  return { aor: AOR, contact: 'sip:alice@192.0.2.10:5062', expiresAt: T0 + 3_600_000, callId: 'c1@host', cseq: 1, ...over };
}

/** Every optional field set, with values that stress JSON and text handling. */
const FULL: RegistrationRecord = {
  aor: AOR,
  contact: 'sip:alice@[2001:db8::1]:5062;transport=tcp;ob?X-Hdr=a%20b',
  expiresAt: T0 + 600_000,
  callId: 'a84b4c76e66710@pc33.example.com',
  cseq: 2 ** 31 - 1,
  q: 0.125,
  instance: '"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>"',
  regId: 2,
  path: ['<sip:edge1.example.com;lr>', '<sip:edge2.example.com;lr;ob>'],
  source: { protocol: 'TCP', address: '2001:db8::1', port: 50_123, connectionId: 'tcp-17' },
  userAgent: 'Grandstream GXP 1.0 — “ünïcode” \u{1F4DE}',
  params: { 'video': null, 'audio': null, '+sip.src': '"a;b=c"', 'methods': '"INVITE,BYE"' },
};

const pgSkip = postgresSkipReason();

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`RegistrationRepository on ${backend}`, { skip: backend === 'postgres' ? pgSkip : undefined }, () => {
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

    /** A fresh, empty database; open() may be called again to reopen the same one. */
    async function fresh(): Promise<{ open: () => Promise<Store> }> {
      const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-store-'));
      dirs.push(dataDir);
      const url = cluster ? await cluster.createDatabase() : undefined;
      return {
        open: async () => {
          const store = await openDatabase({ url, dataDir, clock });
          stores.push(store);
          await store.migrate();
          return store;
        },
      };
    }
    async function repo(): Promise<RegistrationRepository> {
      return (await (await fresh()).open()).registrations;
    }

    it('starts empty', async () => {
      const r = await repo();
      assert.deepEqual(await r.get(AOR), []);
      assert.deepEqual(await r.list(), []);
      assert.equal(await r.purgeExpired(T0), 0);
    });

    it('round-trips a minimal binding without inventing absent fields', async () => {
      const r = await repo();
      await r.put(AOR, [binding()]);
      const got = await r.get(AOR);
      assert.deepEqual(got, [binding()]); // strict: no `q: undefined` keys
      assert.equal(typeof got[0].expiresAt, 'number');
      assert.equal(typeof got[0].cseq, 'number');
    });

    it('round-trips every field, JSON ones included (path, params with flags, source)', async () => {
      const r = await repo();
      await r.put(AOR, [FULL]);
      assert.deepEqual(await r.get(AOR), [FULL]);
      assert.deepEqual(await r.list(), [FULL]);
    });

    it('put replaces all of an AOR\'s bindings and leaves other AORs alone', async () => {
      const r = await repo();
      const bob = binding({ aor: 'sip:bob@example.com', contact: 'sip:bob@192.0.2.20' });
      await r.put(bob.aor, [bob]);
      await r.put(AOR, [binding({ contact: 'sip:a1@h' }), binding({ contact: 'sip:a2@h' })]);
      await r.put(AOR, [binding({ contact: 'sip:a3@h', cseq: 2 })]);
      assert.deepEqual(await r.get(AOR), [binding({ contact: 'sip:a3@h', cseq: 2 })]);
      assert.deepEqual(await r.get(bob.aor), [bob]);
    });

    it('keeps the registrar\'s order and one Contact over two flows (RFC 5626 §7, reg-id 1 and 2)', async () => {
      const r = await repo();
      const inst = '"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"';
      const flows = [
        binding({ contact: 'sip:line1@192.0.2.2;transport=tcp', instance: inst, regId: 1, q: 0.5 }),
        binding({ contact: 'sip:zz@h' }),
        binding({ contact: 'sip:line1@192.0.2.2;transport=tcp', instance: inst, regId: 2, q: 0.5 }),
        binding({ contact: 'sip:aa@h' }),
      ];
      await r.put(AOR, flows);
      assert.deepEqual(await r.get(AOR), flows);
    });

    it('put of an empty list and remove() delete the AOR; removing an unknown AOR is a no-op', async () => {
      const r = await repo();
      const bob = binding({ aor: 'sip:bob@example.com' });
      await r.put(AOR, [binding()]);
      await r.put(bob.aor, [bob]);
      await r.put(AOR, []);
      assert.deepEqual(await r.get(AOR), []);
      await r.remove(bob.aor);
      await r.remove('sip:nobody@example.com');
      assert.deepEqual(await r.list(), []);
    });

    it('refuses a binding of another AOR (it would come back under the wrong key)', async () => {
      const r = await repo();
      await assert.rejects(r.put(AOR, [binding({ aor: 'sip:bob@example.com' })]), /bob@example\.com.*alice@example\.com/);
      assert.deepEqual(await r.list(), []);
    });

    it('a put that fails half-way changes nothing (one transaction)', async () => {
      const r = await repo();
      await r.put(AOR, [binding({ contact: 'sip:old@h' })]);
      // The second row violates NOT NULL after the DELETE and the first INSERT ran.
      const bad = [binding({ contact: 'sip:new@h' }), binding({ contact: null as unknown as string })];
      await assert.rejects(r.put(AOR, bad));
      assert.deepEqual(await r.get(AOR), [binding({ contact: 'sip:old@h' })]);
    });

    it('list() returns every AOR\'s bindings, each AOR in order', async () => {
      const r = await repo();
      const b1 = binding({ aor: 'sip:b@x', contact: 'sip:2@h' });
      const b2 = binding({ aor: 'sip:b@x', contact: 'sip:1@h' });
      const a1 = binding({ aor: 'sip:a@x', contact: 'sip:9@h' });
      await r.put('sip:b@x', [b1, b2]);
      await r.put('sip:a@x', [a1]);
      assert.deepEqual(await r.list(), [a1, b1, b2]);
    });

    it('purgeExpired(now) drops expiresAt <= now, counts them, keeps the rest in order', async () => {
      const r = await repo();
      await r.put(AOR, [
        binding({ contact: 'sip:past@h', expiresAt: T0 - 1 }),
        binding({ contact: 'sip:live1@h', expiresAt: T0 + 1 }),
        binding({ contact: 'sip:now@h', expiresAt: T0 }),
        binding({ contact: 'sip:live2@h', expiresAt: T0 + 60_000 }),
      ]);
      await r.put('sip:gone@x', [binding({ aor: 'sip:gone@x', expiresAt: T0 - 5 })]);
      assert.equal(await r.purgeExpired(T0), 3);
      assert.deepEqual((await r.get(AOR)).map((b) => b.contact), ['sip:live1@h', 'sip:live2@h']);
      assert.deepEqual(await r.get('sip:gone@x'), []);
      assert.equal(await r.purgeExpired(T0), 0);
    });

    it('concurrent puts to different AORs all land', async () => {
      const r = await repo();
      const aors = Array.from({ length: 20 }, (_, i) => `sip:u${String(i).padStart(2, '0')}@x`);
      await Promise.all(aors.map((aor, i) => r.put(aor, [binding({ aor, cseq: i + 1 })])));
      assert.deepEqual((await r.list()).map((b) => [b.aor, b.cseq]), aors.map((aor, i) => [aor, i + 1]));
    });

    // Nodes of a cluster share PostgreSQL. SQLite serves one process (see store-database.test.ts
    // for a second process writing the same file).
    if (backend === 'postgres') {
      it('two stores (two nodes) putting one AOR at once never fail, and one put wins whole', async () => {
        const db = await fresh();
        const [n1, n2] = [await db.open(), await db.open()];
        const mine = (node: number, k: number) =>
          [0, 1, 2].map((j) => binding({ contact: `sip:n${node}-${k}-${j}@h`, cseq: k }));
        for (let k = 1; k <= 15; k++) {
          await Promise.all([n1.registrations.put(AOR, mine(1, k)), n2.registrations.put(AOR, mine(2, k))]);
          const got = await n1.registrations.get(AOR);
          assert.ok(
            [JSON.stringify(mine(1, k)), JSON.stringify(mine(2, k))].includes(JSON.stringify(got)),
            `round ${k}: got a mix ${JSON.stringify(got.map((b) => b.contact))}`,
          );
        }
      });
    } else {
      it('refuses to open one SQLite file twice in a process (the two would stall each other)', async () => {
        const db = await fresh();
        const first = await db.open();
        await assert.rejects(db.open(), /already open in this process/);
        await first.close();
        await (await db.open()).close(); // closing releases the file
      });
    }

    it('Store.transaction: repositories join it; a rejection rolls everything back', async () => {
      const store = await (await fresh()).open();
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.registrations.put(AOR, [binding()]);
          await tx.registrations.put('sip:bob@x', [binding({ aor: 'sip:bob@x' })]);
          assert.equal((await tx.registrations.list()).length, 2, 'visible inside the transaction');
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.deepEqual(await store.registrations.list(), []);
      const n = await store.transaction(async (tx) => {
        await tx.registrations.put(AOR, [binding()]);
        return 7;
      });
      assert.equal(n, 7);
      assert.deepEqual(await store.registrations.get(AOR), [binding()]);
    });

    it('bindings survive closing and reopening the store; migrating again changes nothing', async () => {
      const db = await fresh();
      const first = await db.open();
      await first.registrations.put(AOR, [FULL, binding({ contact: 'sip:second@h' })]);
      await first.close();
      const second = await db.open(); // open() migrates again
      await second.migrate();
      assert.deepEqual(await second.registrations.get(AOR), [FULL, binding({ contact: 'sip:second@h' })]);
    });

    it('a Registrar on this store keeps its bindings across a restart', async () => {
      const db = await fresh();
      const before = await db.open();
      const reg = new Registrar({ store: before.registrations, clock });
      const res = await reg.handle(
        register('<sip:alice@192.0.2.10:5062>;q=0.7;+sip.instance="<urn:uuid:1>";reg-id=1;video', 1),
        { protocol: 'UDP', address: '192.0.2.10', port: 5062 },
      );
      assert.equal(res.status, 200);
      const seen = await reg.lookup(AOR);
      await before.close();

      const afterRestart = await db.open();
      const reg2 = new Registrar({ store: afterRestart.registrations, clock });
      const found = await reg2.lookup(AOR);
      assert.deepEqual(found, seen);
      assert.equal(found[0].contact, 'sip:alice@192.0.2.10:5062');
      assert.equal(found[0].q, 0.7);
      assert.deepEqual(found[0].params, { video: null });
      // A refresh with a higher CSeq on the reopened store replaces, not duplicates.
      assert.equal((await reg2.handle(register('<sip:alice@192.0.2.10:5062>;+sip.instance="<urn:uuid:1>";reg-id=1', 2))).status, 200);
      assert.equal((await afterRestart.registrations.get(AOR)).length, 1);
    });
  });
}

function register(contact: string, cseq: number): SipRequest {
  const h: [string, string][] = [
    ['via', `SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKreg${cseq}`],
    ['max-forwards', '70'],
    ['to', `<${AOR}>`],
    ['from', `<${AOR}>;tag=f1`],
    ['call-id', 'reg-1@192.0.2.10'],
    ['cseq', `${cseq} REGISTER`],
    ['contact', contact],
    ['expires', '600'],
    ['user-agent', 'store-test'],
    ['content-length', '0'],
  ];
  return new SipRequest('REGISTER', 'sip:example.com', h.map(([name, value]) => ({ name, value })));
}
