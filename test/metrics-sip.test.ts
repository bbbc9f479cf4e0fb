// GET /metrics after real SIP traffic (SIPp calls and one malformed datagram): message
// counters by direction/method/status, parse errors, the transaction gauge, and the dialog and
// call gauges back at 0 once the calls are over. Also the "every method is challenged" rule
// seen from outside: an OPTIONS from an untrusted source gets 401, not 200.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { explain, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';

const available = sippAvailable();
if (!available && process.env.CI === 'true') throw new Error('sipp is not installed (apt package sip-tester); .ci/run must install it');

// metrics.public defaults to true; the key is sent anyway so the test holds if that changes.
const AUTH = { authorization: 'Bearer test-admin-key-0123456789' };

/** Value of one sample line, e.g. sample(text, 'sip_messages_total', { direction: 'in', method: 'INVITE' }). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

function sendDatagram(port: number, text: string): Promise<void> {
  return new Promise((res, rej) => {
    const s = createSocket('udp4');
    s.send(text, port, '127.0.0.1', (err) => {
      s.close();
      if (err) rej(err);
      else res();
    });
  });
}

describe('SIP metrics after real traffic', { skip: !available && 'sipp not installed' }, () => {
  let node: TestNode;
  before(async () => {
    node = await startNode();
  });
  after(() => node?.stop());

  test('/metrics counts INVITE/ACK/BYE in and 200 out, parse errors, transactions; dialogs and calls back to 0', async () => {
    const r = await runSipp({ scenario: 'uac-invite-bye.xml', target: node.sip, calls: 3, rate: 10 });
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.successful, 3);
    // Not SIP at all, but starts like a request line would: the parser must reject it.
    await sendDatagram(node.ports.udp, 'INVITE this is not SIP\r\n\r\n');
    await new Promise((res) => setTimeout(res, 200));

    const res = await fetch(`${node.http}/metrics`, { headers: AUTH });
    assert.equal(res.status, 200);
    const text = await res.text();
    for (const method of ['INVITE', 'ACK', 'BYE']) {
      const n = sample(text, 'sip_messages_total', { direction: 'in', method, status: '' });
      assert.ok(n !== undefined && n >= 3, `sip_messages_total in ${method} = ${n}\n${text.split('\n').filter((l) => l.startsWith('sip_')).join('\n')}`);
    }
    // Responses are labelled by status and by the method their CSeq names.
    const invite200 = sample(text, 'sip_messages_total', { direction: 'out', method: 'INVITE', status: '200' }) ?? 0;
    const bye200 = sample(text, 'sip_messages_total', { direction: 'out', method: 'BYE', status: '200' }) ?? 0;
    assert.ok(invite200 >= 3 && bye200 >= 3, `200 out: INVITE ${invite200}, BYE ${bye200}`);
    const ok = invite200 + bye200;
    assert.ok(ok >= 6, `200 out (3 INVITE + 3 BYE) = ${ok}`);
    const parse = sample(text, 'sip_parse_errors_total', { protocol: 'udp' }) ?? sample(text, 'sip_parse_errors_total', { protocol: 'UDP' });
    assert.ok(parse !== undefined && parse >= 1, `sip_parse_errors_total = ${parse}\n${text.split('\n').filter((l) => l.startsWith('sip_parse')).join('\n')}`);
    for (const kind of ['ict', 'nict', 'ist', 'nist']) {
      assert.notEqual(sample(text, 'sip_transactions', { kind }), undefined, `sip_transactions{kind="${kind}"} present`);
    }
    assert.equal(sample(text, 'sip_dialogs'), 0);
    assert.equal(sample(text, 'active_calls'), 0);
  });

});

describe('every out-of-dialog method is challenged when nothing is trusted', { skip: !available && 'sipp not installed' }, () => {
  let node: TestNode;
  before(async () => {
    node = await startNode({ yaml: 'sip:\n  trusted: []\n  digestAlgorithms: [MD5]\n  users:\n    - { username: alice, password: wonderland }\n' });
  });
  after(() => node?.stop());

  test('SIPp OPTIONS from an untrusted source gets 401 with a Digest challenge, not 200', async () => {
    const r = await runSipp({ scenario: 'uac-options-401.xml', target: node.sip });
    assert.equal(r.code, 0, explain(r));
    assert.doesNotMatch(r.messages, /SIP\/2.0 200/);
  });
});
