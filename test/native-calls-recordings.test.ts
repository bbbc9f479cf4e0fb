// Recordings, CDRs and event replay of the native API through inject(), over a real SQLite
// store and a CallService on core's fakes: a record-response whose token (from the replayed
// record.completed event) downloads the audio without a key, the key downloads it too, a
// wrong token or another application's key gets 404; Range (206, suffix, 416); a running call
// recording is not downloadable or deletable until stopped; CDRs after hangup; event replay by
// time and by id, tenant-scoped; delete removes row and file.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FakeMediaEndpoint } from '../src/core/testing/index.ts';
import { admin, bearer, harness, until, type Harness } from './native-calls-helpers.ts';

describe('native API: recordings, CDRs, events (inject)', () => {
  let h: Harness;
  let callId: string;
  let ep: FakeMediaEndpoint;
  let recordingId: string;
  let token: string;
  const audio = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

  before(async () => {
    h = await harness('native-recordings');
  });
  after(async () => { await h.close(); });

  const get = (url: string, headers: Record<string, string> = bearer(h.a.key)) => h.app.inject({ method: 'GET', url, headers });

  it('record-response: the replayed record.completed event carries recordingId and accessToken', async () => {
    const t0 = Date.now();
    const inbound = await h.inbound(h.a.id);
    callId = inbound.call.id;
    ep = inbound.ep;
    await h.calls.execute(callId, 'answer', {}, { principal: { kind: 'application', applicationId: h.a.id } });
    const res = await h.app.inject({ method: 'POST', url: `/v1/calls/${callId}/record-response`, headers: bearer(h.a.key), payload: { beep: false, maxDurationMs: 10_000, operationContext: 'rec' } });
    assert.equal(res.statusCode, 202, res.body);
    await until(() => ep.running('record').length === 1, 'recording started');
    const op = ep.running('record')[0];
    const path = (op.detail as { path: string }).path;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, audio);
    op.finish({ reason: 'stopTone', tone: '#', durationMs: 1500, sizeBytes: audio.length });
    await until(async () => (await get(`/v1/operations/${res.json().id}`)).json().state === 'completed', 'record-response completed');

    const ev = await get(`/v1/events?since=${new Date(t0 - 1).toISOString()}`);
    assert.equal(ev.statusCode, 200, ev.body);
    const items = ev.json().items as { id: string; type: string; callId?: string; applicationId: string; data: Record<string, unknown> }[];
    assert.ok(items.every((e) => e.applicationId === h.a.id));
    const mine = items.filter((e) => e.callId === callId).map((e) => e.type);
    assert.deepEqual(mine, ['call.incoming', 'call.ringing', 'call.answered', 'record.completed']);
    const done = items.find((e) => e.type === 'record.completed')!;
    assert.equal(done.data.operationContext, 'rec');
    recordingId = done.data.recordingId as string;
    token = done.data.accessToken as string;
    assert.ok(recordingId && token && token.length >= 20);
  });

  it('metadata: own key sees it (never the path or token); another application gets 404', async () => {
    const r = await get(`/v1/recordings/${recordingId}`);
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().state, 'completed');
    assert.equal(r.json().callId, callId);
    assert.equal(r.json().hasAccessToken, true);
    assert.equal(r.json().sizeBytes, 1000);
    assert.ok(!r.body.includes(h.dir) && !r.body.includes(token), 'no file path, no token');
    const other = await get(`/v1/recordings/${recordingId}`, bearer(h.b.key));
    assert.equal(other.statusCode, 404);
    assert.equal(other.json().error.code, 'RECORDING_NOT_FOUND');
    assert.deepEqual((await get(`/v1/recordings?callId=${callId}`)).json().items.map((x: { id: string }) => x.id), [recordingId]);
    assert.deepEqual((await get(`/v1/recordings?callId=${callId}`, bearer(h.b.key))).json().items, []);
    assert.deepEqual((await get('/v1/recordings', bearer(h.b.key))).json().items, []);
    assert.ok((await get('/v1/recordings', admin)).json().items.some((x: { id: string }) => x.id === recordingId));
  });

  it('download: with the key, with the token and no key; wrong token, other key, no credentials are refused', async () => {
    const byKey = await get(`/v1/recordings/${recordingId}/content`);
    assert.equal(byKey.statusCode, 200);
    assert.equal(byKey.headers['content-type'], 'audio/wav');
    assert.equal(byKey.headers['accept-ranges'], 'bytes');
    assert.deepEqual(byKey.rawPayload, audio);
    const byToken = await get(`/v1/recordings/${recordingId}/content?token=${encodeURIComponent(token)}`, {});
    assert.equal(byToken.statusCode, 200, byToken.body);
    assert.deepEqual(byToken.rawPayload, audio);
    for (const wrong of [`${token}x`, token.slice(1), 'a', token.toUpperCase()]) {
      const res = await get(`/v1/recordings/${recordingId}/content?token=${encodeURIComponent(wrong)}`, {});
      assert.equal(res.statusCode, 404, wrong);
      assert.equal(res.json().error.code, 'RECORDING_NOT_FOUND');
    }
    // A valid token of one recording opens no other id.
    assert.equal((await get(`/v1/recordings/00000000-0000-0000-0000-000000000000/content?token=${encodeURIComponent(token)}`, {})).statusCode, 404);
    assert.equal((await get(`/v1/recordings/${recordingId}/content`, bearer(h.b.key))).statusCode, 404);
    assert.equal((await get(`/v1/recordings/${recordingId}/content`, {})).statusCode, 401);
  });

  it('Range: 206 with Content-Range for first-last, open-ended and suffix ranges; 416 past the end', async () => {
    const r = (range: string) => h.app.inject({ method: 'GET', url: `/v1/recordings/${recordingId}/content?token=${encodeURIComponent(token)}`, headers: { range } });
    let res = await r('bytes=0-99');
    assert.equal(res.statusCode, 206);
    assert.equal(res.headers['content-range'], 'bytes 0-99/1000');
    assert.equal(res.headers['content-length'], '100');
    assert.deepEqual(res.rawPayload, audio.subarray(0, 100));
    res = await r('bytes=990-');
    assert.equal(res.statusCode, 206);
    assert.equal(res.headers['content-range'], 'bytes 990-999/1000');
    assert.deepEqual(res.rawPayload, audio.subarray(990));
    res = await r('bytes=-10');
    assert.deepEqual(res.rawPayload, audio.subarray(990));
    res = await r('bytes=500-5000');
    assert.equal(res.headers['content-range'], 'bytes 500-999/1000');
    assert.equal(res.rawPayload.length, 500);
    res = await r('bytes=1000-');
    assert.equal(res.statusCode, 416);
    assert.equal(res.headers['content-range'], 'bytes */1000');
    assert.equal(res.json().error.code, 'RANGE_NOT_SATISFIABLE');
    res = await r('bytes=0-1,5-6');
    assert.equal(res.statusCode, 200, 'several ranges: the whole file');
    assert.equal(res.rawPayload.length, 1000);
  });

  it('a running call recording: no content, no delete (409) until stopped through /recordings/{rid}/stop', async () => {
    const start = await h.app.inject({ method: 'POST', url: `/v1/calls/${callId}/recordings`, headers: bearer(h.a.key), payload: { channels: 2 } });
    assert.equal(start.statusCode, 202, start.body);
    await until(async () => (await get(`/v1/recordings?callId=${callId}`)).json().items.length === 2, 'recording row');
    const rec = (await get(`/v1/recordings?callId=${callId}`)).json().items.find((x: { id: string }) => x.id !== recordingId);
    assert.equal(rec.state, 'recording');
    assert.equal(rec.channels, 2);
    assert.equal(rec.hasAccessToken, false);
    assert.equal((await get(`/v1/recordings/${rec.id}/content`)).json().error.code, 'RECORDING_NOT_READY');
    const del = await h.app.inject({ method: 'DELETE', url: `/v1/recordings/${rec.id}`, headers: bearer(h.a.key) });
    assert.equal(del.statusCode, 409);
    // Stopping a recording that already finished (the record-response one) is a state error.
    const wrong = await h.app.inject({ method: 'POST', url: `/v1/calls/${callId}/recordings/${recordingId}/stop`, headers: bearer(h.a.key) });
    assert.equal(wrong.statusCode, 409, 'finished recording: nothing to stop');
    // Pause and resume (operations pauseRecording / resumeRecording) show in the row's state.
    const pause = await h.app.inject({ method: 'POST', url: `/v1/calls/${callId}/recordings/${rec.id}/pause`, headers: bearer(h.a.key) });
    assert.equal(pause.statusCode, 202, pause.body);
    assert.equal(pause.json().name, 'pauseRecording');
    await until(async () => (await get(`/v1/recordings/${rec.id}`)).json().state === 'paused', 'recording paused');
    const resume = await h.app.inject({ method: 'POST', url: `/v1/calls/${callId}/recordings/${rec.id}/resume`, headers: bearer(h.a.key) });
    assert.equal(resume.statusCode, 202, resume.body);
    await until(async () => (await get(`/v1/recordings/${rec.id}`)).json().state === 'recording', 'recording resumed');
    const pauseDone = await h.app.inject({ method: 'POST', url: `/v1/calls/${callId}/recordings/${recordingId}/pause`, headers: bearer(h.a.key) });
    assert.equal(pauseDone.statusCode, 409, 'finished recording: nothing to pause');
    // stop, pause and resume share one lookup: another application's key sees no call, an
    // unknown {rid} is not a recording of this call, a finished one is a state error.
    for (const verb of ['stop', 'pause', 'resume']) {
      const post = (rid: string, key: string) => h.app.inject({ method: 'POST', url: `/v1/calls/${callId}/recordings/${rid}/${verb}`, headers: bearer(key) });
      const otherApp = await post(rec.id, h.b.key);
      assert.equal(otherApp.statusCode, 404, `${verb}: ${otherApp.body}`);
      assert.equal(otherApp.json().error.code, 'CALL_NOT_FOUND', verb);
      const unknown = await post('00000000-0000-0000-0000-000000000000', h.a.key);
      assert.equal(unknown.statusCode, 404, `${verb}: ${unknown.body}`);
      assert.equal(unknown.json().error.code, 'RECORDING_NOT_FOUND', verb);
      const finished = await post(recordingId, h.a.key);
      assert.equal(finished.statusCode, 409, verb);
      assert.equal(finished.json().error.code, 'CALL_INVALID_STATE', verb);
    }
    assert.equal((await get(`/v1/recordings/${rec.id}`)).json().state, 'recording', 'the refused requests changed nothing');
    const stop = await h.app.inject({ method: 'POST', url: `/v1/calls/${callId}/recordings/${rec.id}/stop`, headers: bearer(h.a.key) });
    assert.equal(stop.statusCode, 202, stop.body);
    assert.equal(stop.json().name, 'stopRecording');
    await until(async () => (await get(`/v1/recordings/${rec.id}`)).json().state !== 'recording', 'recording stopped');
  });

  it('CDRs after hangup: call and leg records, own key only', async () => {
    const hang = await h.app.inject({ method: 'POST', url: `/v1/calls/${callId}/hangup`, headers: bearer(h.a.key) });
    assert.equal(hang.statusCode, 202);
    await until(async () => (await get(`/v1/cdrs/${callId}`)).statusCode === 200, 'CDR written');
    const cdr = (await get(`/v1/cdrs/${callId}`)).json();
    assert.equal(cdr.kind, 'call');
    assert.equal(cdr.callId, callId);
    assert.equal(cdr.endedBy, 'local');
    assert.ok(cdr.recordingIds.includes(recordingId));
    const list = (await get(`/v1/cdrs?callId=${callId}`)).json();
    assert.deepEqual(list.items.map((c: { kind: string }) => c.kind).sort(), ['call', 'leg']);
    assert.equal(list.items.find((c: { kind: string }) => c.kind === 'leg').quality.packetsLost, 10);
    assert.deepEqual((await get(`/v1/cdrs?kind=call`)).json().items.map((c: { callId: string }) => c.callId), [callId]);
    const page = (await get('/v1/cdrs?limit=1')).json();
    assert.equal(page.items.length, 1);
    assert.ok(page.nextCursor);
    assert.equal((await get(`/v1/cdrs?limit=1&cursor=${page.nextCursor}`)).json().items.length, 1);
    const other = await get(`/v1/cdrs/${callId}`, bearer(h.b.key));
    assert.equal(other.statusCode, 404);
    assert.equal(other.json().error.code, 'CDR_NOT_FOUND');
    assert.deepEqual((await get('/v1/cdrs', bearer(h.b.key))).json().items, []);
  });

  it('event replay: by id (after) continues exactly, pages with nextCursor; scoped to the key\'s application', async () => {
    const all = (await get('/v1/events?since=0&limit=1000')).json().items as { id: string; type: string }[];
    assert.ok(all.length >= 6);
    assert.ok(all.some((e) => e.type === 'call.ended'));
    const rest = (await get(`/v1/events?after=${all[2].id}&limit=1000`)).json().items as { id: string }[];
    assert.deepEqual(rest.map((e) => e.id), all.slice(3).map((e) => e.id));
    const p1 = (await get('/v1/events?since=0&limit=2')).json();
    assert.deepEqual(p1.items.map((e: { id: string }) => e.id), all.slice(0, 2).map((e) => e.id));
    const p2 = (await get(`/v1/events?after=${p1.nextCursor}&limit=2`)).json();
    assert.deepEqual(p2.items.map((e: { id: string }) => e.id), all.slice(2, 4).map((e) => e.id));
    assert.deepEqual((await get('/v1/events?since=0', bearer(h.b.key))).json().items, []);
    assert.deepEqual((await get(`/v1/events?since=0&applicationId=${h.a.id}`, bearer(h.b.key))).json().items, []);
    const adm = (await get(`/v1/events?since=0&applicationId=${h.a.id}&limit=1000`, admin)).json().items as { id: string }[];
    assert.deepEqual(adm.map((e) => e.id), all.map((e) => e.id));
    assert.equal((await get('/v1/events?since=soon')).statusCode, 400);
  });

  it('delete: row and file gone; a second delete and the download are 404', async () => {
    const rec = (await get(`/v1/recordings/${recordingId}`)).json();
    assert.equal((await h.app.inject({ method: 'DELETE', url: `/v1/recordings/${recordingId}`, headers: bearer(h.b.key) })).statusCode, 404, 'not by another app');
    const del = await h.app.inject({ method: 'DELETE', url: `/v1/recordings/${recordingId}`, headers: bearer(h.a.key) });
    assert.equal(del.statusCode, 204);
    assert.equal(rec.id, recordingId);
    assert.equal((await get(`/v1/recordings/${recordingId}`)).statusCode, 404);
    assert.equal((await get(`/v1/recordings/${recordingId}/content?token=${encodeURIComponent(token)}`, {})).statusCode, 404);
    assert.equal((await h.app.inject({ method: 'DELETE', url: `/v1/recordings/${recordingId}`, headers: bearer(h.a.key) })).statusCode, 404);
    const rows = await h.store.calls.recordings.listByCall(callId);
    assert.ok(rows.every((r) => r.id !== recordingId));
    assert.ok(!existsSync(`${h.dir}/recordings/${recordingId}.wav`), 'file removed');
  });
});
