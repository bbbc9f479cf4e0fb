import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FakeClock } from '../../lib/index.ts';
import { parseMessage, SipRequest } from '../message/index.ts';
import type { SipResponse } from '../message/index.ts';
import { MemoryBindingStore } from './memory-binding-store.ts';
import { Registrar, type RegistrarOptions } from './registrar.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const TORTURE = resolve(repoRoot, '..', 'shared', 'conformance', 'rfc4475');
const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const SRC = { protocol: 'UDP', address: '192.0.2.10', port: 5062 };

function setup(opts: Partial<RegistrarOptions> = {}) {
  const clock = new FakeClock(T0);
  const store = new MemoryBindingStore();
  const reg = new Registrar({ store, clock, ...opts });
  return { clock, store, reg };
}

interface Reg {
  contacts?: string[];
  expires?: number | string;
  callId?: string;
  cseq: number;
  to?: string;
  extra?: [string, string][];
}

function register(r: Reg): SipRequest {
  const h: [string, string][] = [
    ['via', 'SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK' + r.cseq],
    ['max-forwards', '70'],
    ['to', r.to ?? '<sip:alice@example.com>'],
    ['from', '<sip:alice@example.com>;tag=f1'],
    ['call-id', r.callId ?? 'reg-1@192.0.2.10'],
    ['cseq', `${r.cseq} REGISTER`],
    ...(r.contacts ?? []).map((c): [string, string] => ['contact', c]),
    ...(r.expires === undefined ? [] : [['expires', String(r.expires)] as [string, string]]),
    ...(r.extra ?? []),
    ['content-length', '0'],
  ];
  return new SipRequest('REGISTER', 'sip:example.com', h.map(([name, value]) => ({ name, value })));
}

/** Contact values of a 200 as [uri, expires] pairs. */
function listed(res: SipResponse): [string, number][] {
  return res.contacts.map((c) => [c.uri.raw, Number(c.params.get('expires'))]);
}

describe('Registrar (RFC 3261 §10.3)', () => {
  it('adds a binding and answers 200 with the binding, its expires and Date', async () => {
    const { reg } = setup();
    const res = await reg.handle(register({ cseq: 1, contacts: ['<sip:alice@192.0.2.10:5062>'], expires: 600 }), SRC);
    assert.equal(res.status, 200);
    assert.deepEqual(listed(res), [['sip:alice@192.0.2.10:5062', 600]]);
    assert.equal(res.get('date'), 'Mon, 01 Jan 2024 12:00:00 GMT');
    assert.ok(res.toTag, 'a final response carries a To tag');
    const [b] = await reg.lookup('sip:alice@example.com');
    assert.equal(b.contact, 'sip:alice@192.0.2.10:5062');
    assert.equal(b.aor, 'sip:alice@example.com');
    assert.equal(b.expiresAt, T0 + 600_000);
    assert.deepEqual(b.source, SRC);
    assert.equal(b.callId, 'reg-1@192.0.2.10');
    assert.equal(b.cseq, 1);
  });

  it('uses the default expires (3600) and shortens to maxExpires', async () => {
    const { reg } = setup({ maxExpires: 1800 });
    const r1 = await reg.handle(register({ cseq: 1, contacts: ['<sip:a@h1>'] }));
    assert.deepEqual(listed(r1), [['sip:a@h1', 1800]]);
    const { reg: reg2 } = setup();
    assert.deepEqual(listed(await reg2.handle(register({ cseq: 1, contacts: ['<sip:a@h1>'] }))), [['sip:a@h1', 3600]]);
  });

  it('refreshes a binding: later CSeq on the same Call-ID, remaining time reported', async () => {
    const { reg, clock } = setup();
    await reg.handle(register({ cseq: 1, contacts: ['<sip:alice@h1>'], expires: 600 }));
    clock.advance(100_000);
    const q = await reg.handle(register({ cseq: 2 }));
    assert.deepEqual(listed(q), [['sip:alice@h1', 500]], 'a query lists what is left');
    const r = await reg.handle(register({ cseq: 3, contacts: ['<sip:alice@h1>;expires=900'] }));
    assert.deepEqual(listed(r), [['sip:alice@h1', 900]]);
    assert.equal((await reg.lookup('sip:alice@example.com')).length, 1);
  });

  it('matches contacts by URI equality (§19.1.4): host case and parameter order do not matter', async () => {
    const { reg } = setup();
    await reg.handle(register({ cseq: 1, contacts: ['<sip:alice@H1.example.net;transport=tcp;ob>'] }));
    const r = await reg.handle(register({ cseq: 2, contacts: ['<sip:alice@h1.example.net;ob;transport=TCP>;expires=120'] }));
    assert.equal(r.contacts.length, 1);
    assert.equal(r.contacts[0].params.get('expires'), '120');
    // An explicit default port is a different URI.
    const r2 = await reg.handle(register({ cseq: 3, contacts: ['<sip:alice@h1.example.net:5060;ob;transport=tcp>'] }));
    assert.equal(r2.contacts.length, 2);
  });

  it('keeps several contacts, ordered by q, and lookup returns them best first', async () => {
    const { reg } = setup();
    const res = await reg.handle(register({
      cseq: 1,
      contacts: ['<sip:desk@h1>;q=0.5', '<sip:mobile@h2>;q=0.9, <sip:laptop@h3>;q=0.1'],
    }));
    assert.deepEqual(listed(res).map(([u]) => u), ['sip:mobile@h2', 'sip:desk@h1', 'sip:laptop@h3']);
    assert.deepEqual(res.contacts.map((c) => c.params.get('q')), ['0.9', '0.5', '0.1']);
    const found = await reg.lookup('sip:alice@EXAMPLE.com;transport=udp');
    assert.deepEqual(found.map((b) => [b.contact, b.q]), [['sip:mobile@h2', 0.9], ['sip:desk@h1', 0.5], ['sip:laptop@h3', 0.1]]);
  });

  it('unregisters one contact with expires=0 and keeps the others', async () => {
    const { reg } = setup();
    await reg.handle(register({ cseq: 1, contacts: ['<sip:a@h1>', '<sip:b@h2>'] }));
    const res = await reg.handle(register({ cseq: 2, contacts: ['<sip:a@h1>;expires=0'] }));
    assert.deepEqual(listed(res), [['sip:b@h2', 3600]]);
  });

  it('unregisters everything with Contact: * and Expires: 0, from another Call-ID too', async () => {
    const { reg, store } = setup();
    await reg.handle(register({ cseq: 1, contacts: ['<sip:a@h1>'] }));
    await reg.handle(register({ cseq: 7, callId: 'other', contacts: ['<sip:b@h2>'] }));
    const res = await reg.handle(register({ cseq: 2, contacts: ['*'], expires: 0 }));
    assert.equal(res.status, 200);
    assert.equal(res.contacts.length, 0);
    assert.deepEqual(await store.list(), []);
  });

  for (const [name, r] of [
    ['without Expires: 0', { cseq: 2, contacts: ['*'], expires: 60 }],
    ['without any Expires', { cseq: 2, contacts: ['*'] }],
    ['next to another contact', { cseq: 2, contacts: ['*', '<sip:a@h1>'], expires: 0 }],
  ] as [string, Reg][]) {
    it(`answers 400 to Contact: * ${name}`, async () => {
      const { reg } = setup();
      assert.equal((await reg.handle(register(r))).status, 400);
    });
  }

  it('answers 423 with Min-Expires to a too brief interval, and changes nothing', async () => {
    const { reg, store } = setup({ minExpires: 120 });
    const res = await reg.handle(register({ cseq: 1, contacts: ['<sip:a@h1>', '<sip:b@h2>;expires=30'], expires: 300 }));
    assert.equal(res.status, 423);
    assert.equal(res.get('min-expires'), '120');
    assert.deepEqual(await store.list(), []);
    // Expires 0 is never "too brief".
    assert.equal((await reg.handle(register({ cseq: 2, contacts: ['<sip:a@h1>'], expires: 0 }))).status, 200);
  });

  it('aborts the whole update on an out-of-order CSeq within the same Call-ID (500)', async () => {
    const { reg } = setup();
    await reg.handle(register({ cseq: 5, contacts: ['<sip:a@h1>'], expires: 600 }));
    for (const cseq of [5, 4]) {
      const res = await reg.handle(register({ cseq, contacts: ['<sip:b@h2>', '<sip:a@h1>;expires=0'] }));
      assert.equal(res.status, 500);
    }
    const star = await reg.handle(register({ cseq: 3, contacts: ['*'], expires: 0 }));
    assert.equal(star.status, 500);
    assert.deepEqual((await reg.lookup('sip:alice@example.com')).map((b) => b.contact), ['sip:a@h1']);
    // A new Call-ID (a rebooted phone) replaces the binding whatever its CSeq.
    const res = await reg.handle(register({ cseq: 1, callId: 'rebooted', contacts: ['<sip:a@h1>'], expires: 300 }));
    assert.deepEqual(listed(res), [['sip:a@h1', 300]]);
  });

  it('expires bindings with time: lookup hides them and purgeExpired removes them', async () => {
    const { reg, clock, store } = setup();
    await reg.handle(register({ cseq: 1, contacts: ['<sip:a@h1>;expires=60', '<sip:b@h2>;expires=120'] }));
    clock.advance(60_000);
    assert.deepEqual((await reg.lookup('sip:alice@example.com')).map((b) => b.contact), ['sip:b@h2']);
    assert.equal((await store.list()).length, 2);
    assert.equal(await reg.purgeExpired(), 1);
    assert.equal((await store.list()).length, 1);
    clock.advance(60_000);
    assert.deepEqual(await reg.lookup('sip:alice@example.com'), []);
    assert.equal(await reg.purgeExpired(), 1);
    assert.deepEqual(await store.list(), []);
  });

  it('replaces an RFC 5626 flow by +sip.instance and reg-id even when the contact URI changed', async () => {
    const { reg } = setup();
    const inst = '"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"';
    await reg.handle(register({ cseq: 1, contacts: [`<sip:a@192.0.2.10:5062>;+sip.instance=${inst};reg-id=1`] }));
    const res = await reg.handle(register({ cseq: 2, contacts: [`<sip:a@198.51.100.7:6000>;+sip.instance=${inst};reg-id=1`] }));
    assert.deepEqual(listed(res), [['sip:a@198.51.100.7:6000', 3600]]);
    assert.equal(res.contacts[0].params.get('+sip.instance'), inst);
    assert.equal(res.contacts[0].params.get('reg-id'), '1');
  });

  it('stores Path and echoes it when the client supports path (RFC 3327)', async () => {
    const { reg } = setup();
    const res = await reg.handle(register({
      cseq: 1, contacts: ['<sip:a@h1>'],
      extra: [['supported', 'path'], ['path', '<sip:edge.example.com;lr>']],
    }));
    assert.deepEqual(res.getAll('path'), ['<sip:edge.example.com;lr>']);
    assert.deepEqual((await reg.lookup('sip:alice@example.com'))[0].path, ['<sip:edge.example.com;lr>']);
  });

  it('answers 404 for an AOR it does not serve, 400 for a bad q, 405 for another method', async () => {
    const { reg } = setup({ servesAor: (aor) => aor.endsWith('@example.com') });
    assert.equal((await reg.handle(register({ cseq: 1, to: '<sip:bob@elsewhere.org>', contacts: ['<sip:b@h>'] }))).status, 404);
    assert.equal((await reg.handle(register({ cseq: 2, contacts: ['<sip:b@h>;q=2'] }))).status, 400);
    assert.equal((await reg.handle(register({ cseq: 3, contacts: ['<sip:b@h'] }))).status, 400, 'unparsable Contact');
    const opt = new SipRequest('OPTIONS', 'sip:example.com', register({ cseq: 3 }).headers);
    assert.equal((await reg.handle(opt)).status, 405);
  });

  it('authenticates through the hook and lets a user register only its own AOR', async () => {
    let user = 'alice';
    const { reg } = setup({ authenticate: async () => ({ ok: true, username: user }) });
    assert.equal((await reg.handle(register({ cseq: 1, contacts: ['<sip:a@h1>'] }))).status, 200);
    user = 'mallory';
    assert.equal((await reg.handle(register({ cseq: 2, contacts: ['<sip:m@h1>'] }))).status, 403);
  });

  it('applies concurrent REGISTERs for one AOR one after the other', async () => {
    const { reg } = setup();
    const all = await Promise.all([1, 2, 3, 4].map((i) => reg.handle(register({ cseq: i, callId: `c${i}`, contacts: [`<sip:d${i}@h>`] }))));
    assert.ok(all.every((r) => r.status === 200));
    assert.equal((await reg.lookup('sip:alice@example.com')).length, 4);
  });
});

describe('Registrar against RFC 4475 REGISTER torture messages', () => {
  async function run(file: string) {
    const { reg } = setup();
    const req = parseMessage(readFileSync(resolve(TORTURE, file)), { datagram: true });
    assert.ok(req.isRequest());
    const res = await reg.handle(req as SipRequest);
    return { reg, res };
  }

  it('cparam01 (§3.3.12): unknownparam outside <> is a contact parameter', async () => {
    const { reg, res } = await run('cparam01.dat');
    assert.equal(res.status, 200);
    const [b] = await reg.lookup('sip:watson@example.com');
    assert.equal(b.contact, 'sip:+19725552222@gw1.example.net');
    assert.deepEqual(b.params, { unknownparam: null });
    assert.equal(res.contacts[0].uri.params.has('unknownparam'), false);
    assert.equal(res.contacts[0].params.has('unknownparam'), true);
  });

  it('cparam02 (§3.3.13): unknownparam inside <> stays a URI parameter', async () => {
    const { reg, res } = await run('cparam02.dat');
    assert.equal(res.status, 200);
    const [b] = await reg.lookup('sip:watson@example.com');
    assert.equal(b.contact, 'sip:+19725552222@gw1.example.net;unknownparam');
    assert.equal(b.params, undefined);
    assert.equal(res.contacts[0].uri.params.has('unknownparam'), true);
  });

  it('regescrt (§3.3.14): the escaped Route header stays part of the contact URI', async () => {
    const { reg, res } = await run('regescrt.dat');
    assert.equal(res.status, 200);
    const [b] = await reg.lookup('sip:user@example.com');
    assert.equal(b.contact, 'sip:user@example.com?Route=%3Csip:sip.example.com%3E');
    const headers = [...res.contacts[0].uri.headers].map(([k, v]) => [k.toLowerCase(), v]);
    assert.deepEqual(headers, [['route', '<sip:sip.example.com>']]);
  });

  it('unksm2 (§3.3.4): a non-SIP To URI gets 400 from a registrar', async () => {
    const { res } = await run('unksm2.dat');
    assert.equal(res.status, 400);
  });
});
