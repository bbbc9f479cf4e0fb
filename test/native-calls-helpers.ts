// Shared set-up of the native-calls-* tests: an HTTP app with the native API over a real
// SQLite store, the tenancy services, a CallService with fake Channel/MediaEndpoint (core's
// testing fakes; outbound legs from a fake ChannelFactory), CDRs, recordings and replay wired
// the way src/server/native-api-wiring.ts wires a node.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { CallService, CdrService, createTenancy, type Call, type Participant, type Tenancy } from '../src/core/index.ts';
import { FakeChannel, FakeMediaEndpoint } from '../src/core/testing/index.ts';
import { registerNativeApi } from '../src/faces/native/index.ts';
import { buildHttpApp } from '../src/http/index.ts';
import { nullLogger } from '../src/lib/index.ts';
import { recordingsSource } from '../src/server/native-api-wiring.ts';
import { openDatabase, type Store } from '../src/store/index.ts';

export const ADMIN_KEY = 'test-admin-key-0123456789';
export const admin = { authorization: `Bearer ${ADMIN_KEY}` };
export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
export const CALLER: Participant = { kind: 'phone', number: '+4930123456' };
export const NUMBER: Participant = { kind: 'phone', number: '+4930999000' };

export interface Harness {
  dir: string;
  store: Store;
  tenancy: Tenancy;
  calls: CallService;
  app: FastifyInstance;
  dialed: { ch: FakeChannel; ep: FakeMediaEndpoint }[];
  a: { id: string; key: string };
  b: { id: string; key: string };
  inbound(applicationId: string): Promise<{ ch: FakeChannel; ep: FakeMediaEndpoint; call: Call }>;
  close(): Promise<void>;
}

export async function harness(name: string): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), `sb-${name}-`));
  const store = await openDatabase({ dataDir: dir });
  await store.migrate();
  const tenancy = createTenancy(store);
  const dialed: Harness['dialed'] = [];
  const calls = new CallService({
    store, recordingsDir: join(dir, 'recordings'), homeCountryCode: '49',
    channelFactory: {
      async dial(target: Participant) {
        const ch = new FakeChannel(target, NUMBER, 'outbound');
        const ep = new FakeMediaEndpoint();
        dialed.push({ ch, ep });
        return { channel: ch, media: ep };
      },
    },
  });
  const app = buildHttpApp({ logger: nullLogger, readiness: () => true, adminKey: ADMIN_KEY, openapi: { title: 'Switchboard API', version: 'test' } });
  const cdrs = new CdrService(store);
  const recordings = recordingsSource(store);
  registerNativeApi(app, {
    adminKey: ADMIN_KEY, tenancy: () => tenancy, calls: () => calls, cdrs: () => cdrs, recordings: () => recordings,
    events: () => store.outbox, idempotency: () => store.idempotency,
  });
  await app.ready();
  const createApp = async (appName: string): Promise<{ id: string; key: string }> => {
    const res = await app.inject({ method: 'POST', url: '/v1/applications', headers: admin, payload: { name: appName, callbackUrl: `https://${appName}.example/hook` } });
    assert.equal(res.statusCode, 201, res.body);
    return { id: res.json().application.id, key: res.json().apiKey.key };
  };
  const a = await createApp('alpha');
  const b = await createApp('beta');
  return {
    dir, store, tenancy, calls, app, dialed, a, b,
    async inbound(applicationId) {
      const ch = new FakeChannel(CALLER, NUMBER, 'inbound');
      const ep = new FakeMediaEndpoint();
      const call = await calls.incoming(ch, ep, { applicationId, from: CALLER, to: NUMBER });
      return { ch, ep, call };
    },
    async close() {
      await calls.close();
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Waits (bounded) until `cond` holds; for operations that settle a few ticks later. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
