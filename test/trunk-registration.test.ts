// Trunks with register: true bind at their carrier: SIPp plays the carrier's registrar
// (401 challenge, then 200 for the right credentials or 403), the trunk created through the
// native API registers without a restart, GET /v1/trunks/{id} and /metrics show it, and
// deleting the trunk unregisters it (Expires: 0).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';

const ADMIN = { authorization: 'Bearer test-admin-key-0123456789', 'content-type': 'application/json' };

interface TrunkBody { id: string; registration?: { state: string; lastStatus: number | null; lastError: string | null; expiresAt: number | null } }

describe('trunk registration with a carrier (SIPp registrar)', { skip: !sippAvailable() && 'sipp not installed' }, () => {
  let node: TestNode;
  before(async () => { node = await startNode(); });
  after(() => node?.stop());

  async function createTrunk(name: string, port: number, password: string): Promise<string> {
    const res = await fetch(`${node.http}/v1/trunks`, {
      method: 'POST', headers: ADMIN,
      body: JSON.stringify({ name, host: '127.0.0.1', port, username: 'trunkuser', password, register: true }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as TrunkBody).id;
  }
  async function waitFor(id: string, state: string): Promise<TrunkBody> {
    let last: TrunkBody | undefined;
    for (let i = 0; i < 50; i++) {
      last = (await (await fetch(`${node.http}/v1/trunks/${id}`, { headers: ADMIN })).json()) as TrunkBody;
      if (last.registration?.state === state) return last;
      await sleep(200);
    }
    assert.fail(`trunk never reached ${state}: ${JSON.stringify(last)}`);
  }

  test('a trunk created through the API registers (401 then 200), shows it, and unregisters when deleted', async () => {
    const port = await freeUdpPort();
    const carrier = runSipp({ scenario: 'uas-registrar-digest.xml', localPort: port, timeoutMs: 25000 });
    await sleep(300);
    const before = Date.now();
    const id = await createTrunk('carrier-a', port, 'trunk-secret');
    const t = await waitFor(id, 'registered');
    assert.equal(t.registration!.lastError, null);
    const expiresIn = t.registration!.expiresAt! - before;
    assert.ok(expiresIn > 100_000 && expiresIn <= 125_000, `expires in ${expiresIn} ms, granted 120 s`);
    const metrics = await (await fetch(`${node.http}/metrics`, { headers: ADMIN })).text();
    assert.match(metrics, /sip_trunk_registered\{trunk="carrier-a"\} 1/);
    const del = await fetch(`${node.http}/v1/trunks/${id}`, { method: 'DELETE', headers: { authorization: ADMIN.authorization } });
    assert.equal(del.status, 204);
    const r = await carrier;
    assert.equal(r.code, 0, explain(r));
    assert.match(r.messages, /Expires: 0/i);
  });

  test('wrong credentials leave the trunk failed with the carrier status', async () => {
    const port = await freeUdpPort();
    const carrier = runSipp({ scenario: 'uas-registrar-digest.xml', localPort: port, timeoutMs: 8000 });
    await sleep(300);
    const id = await createTrunk('carrier-b', port, 'not-the-secret');
    const t = await waitFor(id, 'failed');
    assert.equal(t.registration!.lastStatus, 403);
    assert.match(t.registration!.lastError ?? '', /403/);
    const metrics = await (await fetch(`${node.http}/metrics`, { headers: ADMIN })).text();
    assert.match(metrics, /sip_trunk_registered\{trunk="carrier-b"\} 0/);
    await fetch(`${node.http}/v1/trunks/${id}`, { method: 'DELETE', headers: { authorization: ADMIN.authorization } });
    await carrier;
  });
});
