// Inbound number routing over the real numbers table, on SQLite and a private PostgreSQL
// cluster: with thousands of routes (exact numbers, nested DID blocks, SIP URIs) the
// InboundRouter picks the same winner as before (exact number, then the longest DID block,
// then SIP URIs), and a route costs indexed look-ups — the rows read per INVITE stay a
// handful however many routes exist (it used to read every number row on a DID-block match).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KyselyPlugin } from 'kysely';
import { InboundRouter, type NumberDirectory } from '../src/adapters/index.ts';
import { SipRequest } from '../src/sip/index.ts';
import { NumberRepository, openDatabase, type NumberKind, type Store } from '../src/store/index.ts';
import { postgresSkipReason, startPostgres, type PostgresCluster } from './helpers/postgres.ts';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);
const pgSkip = postgresSkipReason();
/** DID blocks that match none of the dialed numbers below, to make a scan expensive and visible. */
const FILLER = 3000;

function invite(ruri: string): SipRequest {
  const r = new SipRequest('INVITE', ruri);
  r.add('to', `<${ruri}>`);
  r.add('from', '<sip:+4915112345678@10.0.0.1>;tag=1');
  return r;
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`inbound number routing on ${backend}`, { skip: backend === 'postgres' ? pgSkip : undefined }, () => {
    let cluster: PostgresCluster | undefined;
    let store: Store;
    let dir: string;
    /** Rows every query through the counting repository returned. */
    let rowsRead = 0;
    let router: InboundRouter;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'switchboard-numroute-'));
      if (backend === 'postgres') cluster = await startPostgres();
      const url = cluster ? await cluster.createDatabase() : undefined;
      store = await openDatabase({ url, dataDir: dir });
      await store.migrate();
      const row = (pattern: string, kind: NumberKind, target: string) => ({
        id: `num_${pattern}`, application_id: null, pattern, kind, target_type: 'diagnostic', target, created_at: T0, updated_at: T0,
      });
      const rows = [
        row('+4930123456', 'e164', 'exact'),
        // An exact number that is a prefix of dialed numbers: never a block.
        row('+4930123', 'e164', 'short-exact'),
        row('+49*', 'e164-prefix', 'country'),
        row('+4930*', 'e164-prefix', 'city'),
        row('+4930123*', 'e164-prefix', 'block-7'),
        row('+49301234*', 'e164-prefix', 'block-8'),
        row('+4989555*', 'e164-prefix', 'munich'),
        // A block equal to the whole dialed number still matches it.
        row('+4940777888*', 'e164-prefix', 'whole'),
        row('sip:sales@example.com', 'sip-uri', 'sales'),
        row('sip:*@example.com', 'sip-uri', 'any'),
      ];
      for (let i = 0; i < FILLER; i++) rows.push(row(`+1${String(2_000_000 + i)}*`, 'e164-prefix', `filler-${i}`));
      for (let i = 0; i < rows.length; i += 500) await store.db.insertInto('numbers').values(rows.slice(i, i + 500)).execute();

      const counting: KyselyPlugin = {
        transformQuery: (a) => a.node,
        transformResult: async (a) => {
          rowsRead += a.result.rows.length;
          return a.result;
        },
      };
      const repo = new NumberRepository(store.db.withPlugin(counting));
      const numbers: NumberDirectory = {
        getByPattern: (p) => repo.getByPattern(p),
        longestPrefixFor: (n) => repo.longestPrefixFor(n),
      };
      router = new InboundRouter({ numbers });
    });
    after(async () => {
      await store?.close();
      await cluster?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const cases: [string, string | undefined][] = [
      ['sip:+4930123456@sbc', 'exact'],
      ['sip:004930123456@sbc', 'exact'],
      ['sip:+4930123@sbc', 'short-exact'],
      ['sip:+49301234999@sbc', 'block-8'],
      ['sip:+4930123999@sbc', 'block-7'],
      ['sip:+4930999999@sbc', 'city'],
      ['sip:+4940111222@sbc', 'country'],
      ['sip:+4989555123@sbc', 'munich'],
      ['sip:+4940777888@sbc', 'whole'],
      ['sip:+12000042@sbc', 'filler-42'],
      ['sip:+120000429@sbc', 'filler-42'],
      ['sip:+33142000000@sbc', undefined],
      ['sip:sales@example.com', 'sales'],
      ['sip:bob@example.com', 'any'],
      ['sip:bob@other.org', undefined],
    ];

    it(`picks the right route among ${FILLER + 10} (exact, longest DID block, SIP URI, none)`, async () => {
      for (const [ruri, want] of cases) {
        const r = await router.route(invite(ruri));
        assert.equal(r?.entry.target ?? undefined, want, ruri);
      }
    });

    it('reads a handful of rows per INVITE, not the whole numbers table', async () => {
      let worst = 0;
      for (const [ruri] of cases) {
        rowsRead = 0;
        await router.route(invite(ruri));
        worst = Math.max(worst, rowsRead);
      }
      // The +49… numbers match up to 4 nested blocks in one query; a scan would read > 3000.
      assert.ok(worst <= 5, `at most 5 rows read per route, saw ${worst}`);
    });
  });
}
