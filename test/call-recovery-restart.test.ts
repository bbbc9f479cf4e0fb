// Calls across a crash: a real `switchboard serve` process holds an answered SIPp call and is
// killed with SIGKILL; the node restarted on the same data directory closes that call at
// start — state ended, end reason 'node-restart' by 'system', the CDR written with the last
// known end time, call.ended delivered to the application's webhook — so no CDR is lost.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';
import { startReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const NUMBER = '+4930777888';
const KEY = 'recovery-test-key-0123456789abcdef';
const APP = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

function freeTcpPort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {
      // not there yet
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Hook { type: string; callId?: string; data?: Record<string, unknown> }
const hooks = (r: WebhookReceiver): Hook[] => r.received.map((x) => JSON.parse(x.body) as Hook);

describe('calls left open by a crashed node', { skip: !sippAvailable() && 'sipp not installed' }, () => {
  let child: ChildProcess | undefined;
  let node: TestNode | undefined;
  let receiver: WebhookReceiver | undefined;
  after(async () => {
    child?.kill('SIGKILL');
    await node?.stop();
    await receiver?.close();
  });

  test('kill -9 with an answered call: the restarted node ends it (node-restart), writes its CDR and delivers call.ended', { timeout: 60_000 }, async () => {
    receiver = await startReceiver();
    const dir = mkdtempSync(join(tmpdir(), 'sb-recovery-'));
    const yaml = `applications:\n  - name: bot\n    callbackUrl: "${receiver.url}"\n    apiKeys: ["${KEY}"]\n    numbers:\n      - "${NUMBER}"\n`;
    writeFileSync(join(dir, 'switchboard.yaml'), yaml);
    const httpPort = await freeTcpPort();
    const sipPort = await freeUdpPort();
    child = spawn(process.execPath, [join(ROOT, 'bin/switchboard.mjs'), 'serve'], {
      cwd: dir, stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env, SWITCHBOARD_CONFIG: join(dir, 'switchboard.yaml'), SWITCHBOARD_DATA_DIR: join(dir, 'data'),
        SWITCHBOARD_HTTP_PORT: String(httpPort), SWITCHBOARD_SIP_PORT: String(sipPort), SWITCHBOARD_SIP_WS_PORT: '0',
        SWITCHBOARD_BIND: '127.0.0.1', SWITCHBOARD_PUBLIC_HOST: '127.0.0.1', SWITCHBOARD_ADMIN_KEY: 'test-admin-key-0123456789',
        SWITCHBOARD_LOG_LEVEL: 'warn',
      },
    });
    const http = `http://127.0.0.1:${httpPort}`;
    await until('the node to be ready', async () => ((await fetch(`${http}/readyz`)).status === 200 ? true : undefined), 30_000);

    // SIPp calls and stays on the line; the crash means it never gets a BYE (it gives up by itself).
    const sipp = runSipp({ scenario: 'uac-long-call.xml', target: `127.0.0.1:${sipPort}`, service: NUMBER, args: ['-mp', String(await freeUdpPort())], timeoutMs: 9_000 });
    const incoming = await until('call.incoming', async () => hooks(receiver!).find((h) => h.type === 'call.incoming'));
    const callId = incoming.callId!;
    assert.ok(callId, JSON.stringify(incoming));
    const ans = await fetch(`${http}/v1/calls/${callId}/answer`, { method: 'POST', headers: APP, body: '{}' });
    assert.equal(ans.status, 202, await ans.text());
    await until('the call established', async () => {
      const c = (await (await fetch(`${http}/v1/calls/${callId}`, { headers: APP })).json()) as { state: string };
      return c.state === 'established' ? c : undefined;
    });
    await sleep(1200); // some talk time before the crash
    await new Promise<void>((res) => { child!.once('exit', () => res()); child!.kill('SIGKILL'); });
    child = undefined;

    // Restart on the same data directory (in-process this time).
    const restartedAt = Date.now();
    node = await startNode({ dir, yaml, env: { SWITCHBOARD_ADMIN_KEY: 'test-admin-key-0123456789' } });
    const call = (await (await fetch(`${node.http}/v1/calls/${callId}`, { headers: APP })).json()) as {
      state: string; endReason: string; endedBy: string; endedAt: number; answeredAt: number; legs: { state: string; endReason: string }[];
    };
    assert.equal(call.state, 'ended');
    assert.equal(call.endReason, 'node-restart');
    assert.equal(call.endedBy, 'system');
    assert.ok(call.endedAt >= call.answeredAt && call.endedAt < restartedAt, `ended ${call.endedAt}, answered ${call.answeredAt}`);
    assert.ok(call.legs.length >= 1 && call.legs.every((l) => l.state === 'ended'), JSON.stringify(call.legs));

    const cdr = (await (await fetch(`${node.http}/v1/cdrs/${callId}`, { headers: APP })).json()) as { endReason: string; endedBy: string; answeredAt: number; endedAt: number };
    assert.equal(cdr.endReason, 'node-restart');
    assert.equal(cdr.endedBy, 'system');
    assert.ok(cdr.answeredAt > 0);
    const legCdrs = (await (await fetch(`${node.http}/v1/cdrs?callId=${callId}&kind=leg`, { headers: APP })).json()) as { items?: unknown[]; data?: unknown[] };
    assert.ok(((legCdrs.items ?? legCdrs.data ?? []) as unknown[]).length >= 1, JSON.stringify(legCdrs));

    const ended = await until('call.ended at the webhook', async () => hooks(receiver!).find((h) => h.type === 'call.ended' && h.callId === callId));
    assert.equal(ended.data?.reason, 'node-restart');
    assert.equal(ended.data?.by, 'system');

    // A second restart finds nothing left to close (no duplicate CDR, no second call.ended).
    await node.stop();
    node = await startNode({ dir, yaml, env: { SWITCHBOARD_ADMIN_KEY: 'test-admin-key-0123456789' } });
    await sleep(500);
    assert.equal(hooks(receiver).filter((h) => h.type === 'call.ended' && h.callId === callId).length, 1);
    await sipp;
  });
});
