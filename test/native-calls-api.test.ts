// The native call API through Fastify's inject(), over a real SQLite store and a CallService
// driven by core's fake Channel/MediaEndpoint: listing and paging calls, placing an outbound
// call, actions as sub-resources (202 + operation, Operation-Context echoed), validation
// errors from the schema and from core, 404 for another application's calls and operations,
// and idempotent replay of POST /v1/calls/{id}/play.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { admin, bearer, harness, tick, until, type Harness } from './native-calls-helpers.ts';

describe('native API: calls and operations (inject)', () => {
  let h: Harness;
  before(async () => { h = await harness('native-calls'); });
  after(async () => { await h.close(); });

  it('answers an incoming call: 202 with the operation, Location, Operation-Context echoed; the operation completes', async () => {
    const { ch, call } = await h.inbound(h.a.id);
    const res = await h.app.inject({
      method: 'POST', url: `/v1/calls/${call.id}/answer`, headers: { ...bearer(h.a.key), 'operation-context': 'greet-1' }, payload: {},
    });
    assert.equal(res.statusCode, 202, res.body);
    const op = res.json();
    assert.equal(op.name, 'answer');
    assert.equal(op.callId, call.id);
    assert.equal(op.operationContext, 'greet-1');
    assert.equal(res.headers['operation-context'], 'greet-1');
    assert.equal(res.headers.location, `/v1/operations/${op.id}`);
    await until(() => call.state === 'established', 'answered');
    assert.ok(ch.calls.includes('answer'));
    await until(async () => (await h.app.inject({ method: 'GET', url: `/v1/operations/${op.id}`, headers: bearer(h.a.key) })).json().state === 'completed', 'operation completed');
    const got = (await h.app.inject({ method: 'GET', url: `/v1/operations/${op.id}`, headers: bearer(h.a.key) })).json();
    assert.deepEqual(got.result, { code: 200, subcode: 0, message: 'done' });
    // The call as read back, with its leg.
    const c = await h.app.inject({ method: 'GET', url: `/v1/calls/${call.id}`, headers: bearer(h.a.key) });
    assert.equal(c.statusCode, 200);
    assert.equal(c.json().state, 'established');
    assert.equal(c.json().direction, 'inbound');
    assert.deepEqual(c.json().from, { kind: 'phone', number: '+4930123456' });
    assert.equal(c.json().legs.length, 1);
  });

  it('plays, then cancels media: the play operation runs until cancelled; body operationContext wins over none', async () => {
    const { ep, call } = await h.inbound(h.a.id);
    await h.calls.execute(call.id, 'answer', {}, { principal: { kind: 'application', applicationId: h.a.id } });
    const play = await h.app.inject({
      method: 'POST', url: `/v1/calls/${call.id}/play`, headers: bearer(h.a.key),
      payload: { sources: [{ kind: 'tone', frequencies: [440], durationMs: 500 }], loop: true, operationContext: 'music' },
    });
    assert.equal(play.statusCode, 202, play.body);
    assert.equal(play.json().state, 'running');
    assert.equal(play.json().operationContext, 'music');
    await until(() => ep.running('play').length === 1, 'media play started');
    const cancel = await h.app.inject({ method: 'POST', url: `/v1/calls/${call.id}/cancel-media`, headers: bearer(h.a.key) });
    assert.equal(cancel.statusCode, 202, cancel.body);
    assert.equal(cancel.json().name, 'cancelAllMediaOperations');
    await until(async () => (await h.app.inject({ method: 'GET', url: `/v1/operations/${play.json().id}`, headers: bearer(h.a.key) })).json().state === 'cancelled', 'play cancelled');
    const dtmf = await h.app.inject({ method: 'POST', url: `/v1/calls/${call.id}/send-dtmf`, headers: bearer(h.a.key), payload: { tones: '12#' } });
    assert.equal(dtmf.statusCode, 202, dtmf.body);
    await until(() => ep.log.includes('sendDtmf:12#'), 'dtmf sent');
    const hang = await h.app.inject({ method: 'POST', url: `/v1/calls/${call.id}/hangup`, headers: bearer(h.a.key), payload: {} });
    assert.equal(hang.statusCode, 202);
    await until(() => call.state === 'ended', 'call ended');
    await call.journal.settled();
    // An ended call: 409, not 404 (it exists), and reading it still works.
    await until(() => h.calls.getLive({ kind: 'admin' }, call.id) === undefined, 'call no longer live');
    const late = await h.app.inject({ method: 'POST', url: `/v1/calls/${call.id}/play`, headers: bearer(h.a.key), payload: { sources: [{ kind: 'silence', durationMs: 10 }] } });
    assert.equal(late.statusCode, 409, late.body);
    assert.equal(late.json().error.code, 'CALL_INVALID_STATE');
    assert.equal((await h.app.inject({ method: 'GET', url: `/v1/calls/${call.id}`, headers: bearer(h.a.key) })).json().state, 'ended');
  });

  it('400 VALIDATION_FAILED with details from the schema and from core; header/body context disagreement', async () => {
    const { call } = await h.inbound(h.a.id);
    const cases: [string, unknown, string][] = [
      ['play', {}, 'sources'],
      ['play', { sources: [{ kind: 'tone', frequencies: [440], durationMs: 0 }] }, 'sources'],
      ['play', { sources: [{ kind: 'file', path: 'a.wav' }], lop: true }, 'lop'],
      ['recognize', { maxTones: 99 }, 'maxTones'],
      ['send-dtmf', { tones: 'xyz' }, 'tones'],
      ['reject', { reason: 'maybe' }, 'reason'],
      ['transfer', { target: { kind: 'phone', number: '0301234' } }, 'target'],
      ['record-response', { maxDurationMs: 121_000 }, 'maxDurationMs'],
    ];
    for (const [action, payload, field] of cases) {
      const res = await h.app.inject({ method: 'POST', url: `/v1/calls/${call.id}/${action}`, headers: bearer(h.a.key), payload: payload as object });
      assert.equal(res.statusCode, 400, `${action} ${JSON.stringify(payload)}: ${res.body}`);
      const e = res.json().error;
      assert.equal(e.code, 'VALIDATION_FAILED');
      assert.ok(Array.isArray(e.details) && e.details.length > 0);
      // (An unknown field is reported as "must NOT have additional properties" at the body.)
      if (field !== 'lop') assert.ok(JSON.stringify(e).includes(field), `${action}: details name ${field}: ${JSON.stringify(e)}`);
    }
    // A rule only core knows: tts needs exactly one of text or ssml. (recognize 'speech' without choices is free-form.)
    for (const [action, payload, path] of [
      ['play', { sources: [{ kind: 'tts', text: 'hi', ssml: '<speak/>' }] }, 'sources/0'],
    ] as const) {
      const res = await h.app.inject({ method: 'POST', url: `/v1/calls/${call.id}/${action}`, headers: bearer(h.a.key), payload });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error.code, 'VALIDATION_FAILED');
      assert.deepEqual(res.json().error.details.map((d: { path: string }) => d.path), [path]);
    }
    const clash = await h.app.inject({
      method: 'POST', url: `/v1/calls/${call.id}/answer`, headers: { ...bearer(h.a.key), 'operation-context': 'x' }, payload: { operationContext: 'y' },
    });
    assert.equal(clash.statusCode, 400);
    assert.equal(clash.json().error.code, 'VALIDATION_FAILED');
    assert.equal(call.state, 'ringing', 'nothing ran');
  });

  it('another application\'s key: 404 on the call, its actions, its operations; lists show only its own', async () => {
    const { call } = await h.inbound(h.a.id);
    const op = await h.calls.execute(call.id, 'answer', {}, { principal: { kind: 'application', applicationId: h.a.id } });
    const other = bearer(h.b.key);
    const get = await h.app.inject({ method: 'GET', url: `/v1/calls/${call.id}`, headers: other });
    assert.equal(get.statusCode, 404);
    assert.equal(get.json().error.code, 'CALL_NOT_FOUND');
    for (const action of ['answer', 'hangup', 'play', 'cancel-media', 'recordings']) {
      const payload = action === 'play' ? { sources: [{ kind: 'silence', durationMs: 10 }] } : {};
      const res = await h.app.inject({ method: 'POST', url: `/v1/calls/${call.id}/${action}`, headers: other, payload });
      assert.equal(res.statusCode, 404, `${action}: ${res.body}`);
      assert.equal(res.json().error.code, 'CALL_NOT_FOUND');
    }
    const stop = await h.app.inject({ method: 'POST', url: `/v1/calls/${call.id}/recordings/${randomUUID()}/stop`, headers: other });
    assert.equal(stop.statusCode, 404);
    const o = await h.app.inject({ method: 'GET', url: `/v1/operations/${op.id}`, headers: other });
    assert.equal(o.statusCode, 404);
    assert.equal(o.json().error.code, 'OPERATION_NOT_FOUND');
    const listB = await h.app.inject({ method: 'GET', url: '/v1/calls', headers: other });
    assert.ok(listB.json().items.every((c: { applicationId: string }) => c.applicationId === h.b.id));
    assert.ok(!listB.body.includes(call.id));
    assert.equal((await h.app.inject({ method: 'GET', url: `/v1/calls/${call.id}`, headers: admin })).statusCode, 200, 'the operator sees it');
    const none = await h.app.inject({ method: 'GET', url: `/v1/calls/${call.id}` });
    assert.equal(none.statusCode, 401);
  });

  it('places an outbound call: 201 with call and createCall operation; destination policy 403; admin key cannot', async () => {
    const res = await h.app.inject({
      method: 'POST', url: '/v1/calls', headers: bearer(h.a.key),
      payload: { target: { kind: 'phone', number: '+4940123456' }, callerId: { kind: 'phone', number: '+4930999000' }, ringTimeoutMs: 20_000, operationContext: 'out-1' },
    });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.equal(body.call.direction, 'outbound');
    assert.equal(body.call.state, 'dialing');
    assert.deepEqual(body.call.to, { kind: 'phone', number: '+4940123456' });
    assert.equal(body.operation.name, 'createCall');
    assert.equal(body.operation.operationContext, 'out-1');
    assert.equal(res.headers.location, `/v1/calls/${body.call.id}`);
    await until(() => h.dialed.length === 1, 'dialed');
    h.dialed[0].ch.peerRings();
    h.dialed[0].ch.peerAnswers();
    await until(async () => (await h.app.inject({ method: 'GET', url: `/v1/operations/${body.operation.id}`, headers: bearer(h.a.key) })).json().state === 'completed', 'createCall completed');
    assert.equal((await h.app.inject({ method: 'GET', url: `/v1/calls/${body.call.id}`, headers: bearer(h.a.key) })).json().state, 'established');

    const intl = await h.app.inject({ method: 'POST', url: '/v1/calls', headers: bearer(h.a.key), payload: { target: { kind: 'phone', number: '+33123456789' } } });
    assert.equal(intl.statusCode, 403, intl.body);
    assert.equal(intl.json().error.code, 'DESTINATION_NOT_ALLOWED');
    const bad = await h.app.inject({ method: 'POST', url: '/v1/calls', headers: bearer(h.a.key), payload: { target: { kind: 'application', applicationId: 'x' } } });
    assert.equal(bad.statusCode, 400);
    const byAdmin = await h.app.inject({ method: 'POST', url: '/v1/calls', headers: admin, payload: { target: { kind: 'sip', uri: 'sip:bob@example.org' } } });
    assert.equal(byAdmin.statusCode, 400);
    assert.equal(byAdmin.json().error.code, 'VALIDATION_FAILED');
  });

  it('lists calls with filters (state, direction, time) and pages with a cursor', async () => {
    const q = async (qs: string, key = h.a.key): Promise<{ items: { id: string; state: string; direction: string; createdAt: number }[]; nextCursor?: string }> => {
      const res = await h.app.inject({ method: 'GET', url: `/v1/calls${qs}`, headers: bearer(key) });
      assert.equal(res.statusCode, 200, res.body);
      return res.json();
    };
    const all = await q('?limit=1000');
    assert.ok(all.items.length >= 5, `calls so far: ${all.items.length}`);
    assert.equal(all.nextCursor, undefined);
    // Paging: pages of 2 reassemble the whole list, in order, without repeats.
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 20; i++) {
      const p = await q(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...p.items.map((c) => c.id));
      cursor = p.nextCursor;
      if (!cursor) break;
    }
    assert.deepEqual(seen, all.items.map((c) => c.id));
    const outbound = await q('?direction=outbound');
    assert.ok(outbound.items.length >= 1 && outbound.items.every((c) => c.direction === 'outbound'));
    // Direction filtered page by page: a page of 1 inbound call still fills and carries on.
    const inb1 = await q('?direction=inbound&limit=1');
    assert.equal(inb1.items.length, 1);
    assert.equal(inb1.items[0].direction, 'inbound');
    assert.ok(inb1.nextCursor);
    const ended = await q('?state=ended');
    assert.ok(ended.items.length >= 1 && ended.items.every((c) => c.state === 'ended'));
    const both = await q('?state=ended,established');
    assert.ok(both.items.every((c) => c.state === 'ended' || c.state === 'established'));
    const future = await q(`?since=${new Date(Date.now() + 3_600_000).toISOString()}`);
    assert.equal(future.items.length, 0);
    const past = await q(`?until=${all.items[0].createdAt}`);
    assert.equal(past.items.length, 0);
    const badTime = await h.app.inject({ method: 'GET', url: '/v1/calls?since=yesterday', headers: bearer(h.a.key) });
    assert.equal(badTime.statusCode, 400);
    assert.equal(badTime.json().error.code, 'VALIDATION_FAILED');
  });

  it('idempotent replay of POST /v1/calls/{id}/play: Repeatability-* and Idempotency-Key run it once', async () => {
    const { ep, call } = await h.inbound(h.a.id);
    await h.calls.execute(call.id, 'answer', {}, { principal: { kind: 'application', applicationId: h.a.id } });
    const payload = { sources: [{ kind: 'tone', frequencies: [1000], durationMs: 200 }], operationContext: 'once' };
    const rr = { 'repeatability-request-id': randomUUID(), 'repeatability-first-sent': new Date().toUTCString() };
    const first = await h.app.inject({ method: 'POST', url: `/v1/calls/${call.id}/play`, headers: { ...bearer(h.a.key), ...rr }, payload });
    assert.equal(first.statusCode, 202, first.body);
    assert.equal(first.headers['repeatability-result'], 'accepted');
    const again = await h.app.inject({ method: 'POST', url: `/v1/calls/${call.id}/play`, headers: { ...bearer(h.a.key), ...rr }, payload });
    assert.equal(again.statusCode, 202);
    assert.equal(again.headers['repeatability-result'], 'accepted');
    assert.equal(again.json().id, first.json().id, 'the same operation, replayed');
    assert.equal(again.headers.location, first.headers.location);
    assert.equal(again.headers['operation-context'], 'once');
    await tick();
    assert.equal(ep.ops.filter((o) => o.kind === 'play').length, 1, 'played once');
    // Same id, another body: 400 and nothing runs.
    const reused = await h.app.inject({ method: 'POST', url: `/v1/calls/${call.id}/play`, headers: { ...bearer(h.a.key), ...rr }, payload: { ...payload, loop: true } });
    assert.equal(reused.statusCode, 400);
    assert.equal(reused.json().error.code, 'IDEMPOTENCY_KEY_REUSED');
    // Another application using the same GUID is another request (and the call is not its own).
    const otherApp = await h.app.inject({ method: 'POST', url: `/v1/calls/${call.id}/play`, headers: { ...bearer(h.b.key), ...rr }, payload });
    assert.equal(otherApp.statusCode, 404);
    // Idempotency-Key, the alias.
    const ik = { 'idempotency-key': `play-${randomUUID()}` };
    const k1 = await h.app.inject({ method: 'POST', url: `/v1/calls/${call.id}/play`, headers: { ...bearer(h.a.key), ...ik }, payload });
    const k2 = await h.app.inject({ method: 'POST', url: `/v1/calls/${call.id}/play`, headers: { ...bearer(h.a.key), ...ik }, payload });
    assert.equal(k1.statusCode, 202);
    assert.equal(k2.statusCode, 202);
    assert.equal(k2.json().id, k1.json().id);
    assert.equal(k2.headers['repeatability-result'], undefined);
    await tick();
    assert.equal(ep.ops.filter((o) => o.kind === 'play').length, 2, 'one more play, not two');
    // Without headers each POST runs.
    await h.app.inject({ method: 'POST', url: `/v1/calls/${call.id}/play`, headers: bearer(h.a.key), payload });
    await tick();
    assert.equal(ep.ops.filter((o) => o.kind === 'play').length, 3);
    // The tenancy POSTs are guarded too.
    const appKey = { 'idempotency-key': `app-${randomUUID()}` };
    const c1 = await h.app.inject({ method: 'POST', url: '/v1/numbers', headers: { ...bearer(h.a.key), ...appKey }, payload: { number: '+4930777000' } });
    const c2 = await h.app.inject({ method: 'POST', url: '/v1/numbers', headers: { ...bearer(h.a.key), ...appKey }, payload: { number: '+4930777000' } });
    assert.equal(c1.statusCode, 201, c1.body);
    assert.equal(c2.statusCode, 201, 'replayed, not 409 NUMBER_CONFLICT');
    assert.equal(c2.json().id, c1.json().id);
  });

  it('every call route is in /openapi.json', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const paths = Object.keys(doc.paths);
    for (const p of [
      '/v1/calls', '/v1/calls/{id}', '/v1/calls/{id}/answer', '/v1/calls/{id}/reject', '/v1/calls/{id}/redirect', '/v1/calls/{id}/hangup',
      '/v1/calls/{id}/play', '/v1/calls/{id}/recognize', '/v1/calls/{id}/record-response', '/v1/calls/{id}/send-dtmf',
      '/v1/calls/{id}/transfer', '/v1/calls/{id}/recordings', '/v1/calls/{id}/recordings/{rid}/stop', '/v1/calls/{id}/cancel-media',
      '/v1/operations/{id}', '/v1/recordings', '/v1/recordings/{id}', '/v1/recordings/{id}/content', '/v1/cdrs', '/v1/cdrs/{id}', '/v1/events',
    ]) assert.ok(paths.includes(p), `${p} in ${paths.join(' ')}`);
    assert.ok(doc.paths['/v1/calls/{id}/play'].post.requestBody, 'play documents its body');
    assert.ok(doc.paths['/v1/calls/{id}/play'].post.responses['202']);
  });
});
