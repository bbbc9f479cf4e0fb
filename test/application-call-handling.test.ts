// An application's callHandling set through the config file and the native API: validated
// (catalogued 400 naming the field), merged field by field on PATCH, reset with null, and
// obeyed by the node — SIPp calls a number nobody answers and gets the configured 486 after
// the configured timeout.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { explain, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';

const ADMIN = { authorization: 'Bearer test-admin-key-0123456789', 'content-type': 'application/json' };
const NUMBER = '+4930555666';

interface App { id: string; name: string; callHandling: Record<string, unknown> }

describe('application callHandling through the config file and /v1/applications', () => {
  let node: TestNode;
  let declared: App;
  before(async () => {
    node = await startNode({
      yaml: `applications:
  - name: declared
    apiKeys: ["call-handling-key-0123456789abcd"]
    callHandling:
      unansweredTimeoutMs: 1000
      unansweredStatus: 486
      webhookFallback: { action: apology, text: "Sorry, we are closed." }
    numbers:
      - "${NUMBER}"
`,
    });
    const list = (await (await fetch(`${node.http}/v1/applications`, { headers: ADMIN })).json()) as { items?: App[]; data?: App[] } | App[];
    const apps = Array.isArray(list) ? list : (list.items ?? list.data ?? []);
    declared = apps.find((a) => a.name === 'declared')!;
    assert.ok(declared, JSON.stringify(list));
  });
  after(() => node?.stop());

  const patch = (id: string, body: unknown) =>
    fetch(`${node.http}/v1/applications/${id}`, { method: 'PATCH', headers: ADMIN, body: JSON.stringify(body) });

  test('the config file sets it; GET shows it', () => {
    assert.deepEqual(declared.callHandling, {
      unansweredTimeoutMs: 1000, unansweredStatus: 486, webhookFallback: { action: 'apology', text: 'Sorry, we are closed.' },
    });
  });

  test('an unanswered call is rejected with the configured status after the configured timeout (SIPp)', { skip: !sippAvailable() && 'sipp not installed' }, async () => {
    const t0 = Date.now();
    const r = await runSipp({ scenario: 'uac-expect-486.xml', target: node.sip, service: NUMBER, timeoutMs: 10000 });
    const took = Date.now() - t0;
    assert.equal(r.code, 0, explain(r));
    assert.ok(took < 6000, `rejected after ${took} ms (configured 1000 ms, node default 30000 ms)`);
  });

  test('PATCH merges field by field; null resets to the defaults', async () => {
    let res = await patch(declared.id, { callHandling: { unansweredStatus: 603, limitStatus: 486 } });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(((await res.json()) as App).callHandling, {
      unansweredTimeoutMs: 1000, unansweredStatus: 603, limitStatus: 486, webhookFallback: { action: 'apology', text: 'Sorry, we are closed.' },
    });
    res = await patch(declared.id, { callHandling: { webhookFallback: { action: 'transfer', target: 'sip:desk@example.com' } } });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(((await res.json()) as App).callHandling.webhookFallback, { action: 'transfer', target: 'sip:desk@example.com' });
    res = await patch(declared.id, { callHandling: null });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(((await res.json()) as App).callHandling, {});
  });

  test('bad values are refused with a catalogued 400 that names the field, and nothing changes', async () => {
    for (const [body, field] of [
      [{ unansweredStatus: 404 }, 'unansweredStatus'],
      [{ limitStatus: 480 }, 'limitStatus'],
      [{ unansweredTimeoutMs: 50 }, 'unansweredTimeoutMs'],
      [{ webhookFallback: { action: 'transfer', target: 'not a number' } }, 'target'],
      [{ webhookFallback: { action: 'apology' } }, 'text'],
      [{ webhookFallback: { action: 'hangup', text: 'x' } }, 'text'],
      [{ webhookFallback: { action: 'explode' } }, 'action'],
    ] as const) {
      const res = await patch(declared.id, { callHandling: body });
      const text = await res.text();
      assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.status} ${text}`);
      assert.match(text, new RegExp(field), text);
      assert.match(text, /"code":"[A-Z_]+"/, text);
    }
    const now = (await (await fetch(`${node.http}/v1/applications/${declared.id}`, { headers: ADMIN })).json()) as App;
    assert.deepEqual(now.callHandling, {});
  });

  test('POST /v1/applications takes callHandling', async () => {
    const res = await fetch(`${node.http}/v1/applications`, {
      method: 'POST', headers: ADMIN,
      body: JSON.stringify({ name: 'created', callHandling: { unansweredTimeoutMs: 20000, webhookFallback: { action: 'hangup' } } }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    assert.deepEqual(((await res.json()) as { application: App }).application.callHandling, { unansweredTimeoutMs: 20000, webhookFallback: { action: 'hangup' } });
  });
});
