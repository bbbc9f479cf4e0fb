// AcsKeyService on a fresh SQLite store: issue/list/revoke and the codes its failures carry
// (an unknown or already revoked key is ACS_KEY_NOT_FOUND — not the native API-key code).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeClock } from '../../lib/index.ts';
import { openDatabase, type Store } from '../../store/index.ts';
import { ADMIN } from './principal.ts';
import { createTenancy, type Tenancy } from './index.ts';
import { TenancyError } from './tenancy-error.ts';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

describe('AcsKeyService', () => {
  const stores: Store[] = [];
  const dirs: string[] = [];
  after(async () => {
    for (const s of stores) await s.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  async function fresh(): Promise<{ t: Tenancy; clock: FakeClock; applicationId: string }> {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-acs-keys-'));
    dirs.push(dataDir);
    const clock = new FakeClock(T0);
    const store = await openDatabase({ dataDir, clock });
    stores.push(store);
    await store.migrate();
    const t = createTenancy(store, { clock });
    const { application } = await t.applications.create({ name: 'bot', callbackUrl: 'https://bot.example/hook' });
    return { t, clock, applicationId: application.id };
  }
  const code = (c: string) => (err: unknown) => err instanceof TenancyError && err.code === c;

  it('revoking an unknown key, then the same key twice, is ACS_KEY_NOT_FOUND', async () => {
    const { t, clock, applicationId } = await fresh();
    await assert.rejects(t.acs.revoke(ADMIN, applicationId, 'no-such-key'), code('ACS_KEY_NOT_FOUND'));
    const k = await t.acs.issue(ADMIN, applicationId);
    clock.advance(1000);
    await t.acs.revoke(ADMIN, applicationId, k.id);
    assert.deepEqual(await t.acs.activeKeys(applicationId), []);
    assert.equal((await t.acs.list(ADMIN, applicationId))[0].revokedAt, T0 + 1000);
    await assert.rejects(t.acs.revoke(ADMIN, applicationId, k.id), code('ACS_KEY_NOT_FOUND'));
  });

  it('an unknown application is APPLICATION_NOT_FOUND, before any key lookup', async () => {
    const { t } = await fresh();
    await assert.rejects(t.acs.revoke(ADMIN, 'no-such-app', 'no-such-key'), code('APPLICATION_NOT_FOUND'));
  });
});
