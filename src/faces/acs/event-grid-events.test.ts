// The 'acs-eventgrid' format: IncomingCall and RecordingFileStatusUpdated in the Event Grid
// schema (array of one event, id = the stored event's id, eventTime = occurredAt), a fresh
// incomingCallContext that opens to the call, null for every other event; the notices' ids are
// stable per source; EventGridValidations runs one handshake at a time per URL and remembers
// success only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DomainEvent } from '../../core/index.ts';
import { EVENT_GRID_INCOMING_CALL, eventGridFormatter, eventGridHeaders, incomingCallNotice, isRecordingFinal, recordingFileNotice } from './event-grid-events.ts';
import { EventGridValidations } from './event-grid-validation.ts';
import { IncomingCallContexts } from './incoming-call-context.ts';

const contexts = new IncomingCallContexts();
const format = eventGridFormatter({ contexts, base: () => 'https://sb.example:8443' });
const incoming: DomainEvent = {
  id: '018f6b1e-7c3a-7b21-9f0e-5b3c2d1a0e9f', type: 'call.incoming', applicationId: 'app1', callId: 'call1', occurredAt: '2026-01-02T03:04:05.678Z',
  data: { from: { kind: 'phone', number: '+4915112345678' }, to: { kind: 'phone', number: '+4930777' }, legId: 'leg1' },
};

test('IncomingCall: Event Grid schema, stable id, context that opens to the call', () => {
  const n = incomingCallNotice(incoming)!;
  assert.equal(n.type, EVENT_GRID_INCOMING_CALL);
  assert.equal(n.id, incomingCallNotice(incoming)!.id, 'same source → same id');
  assert.equal(incomingCallNotice({ ...incoming, type: 'call.answered' }), undefined);
  const [ev] = JSON.parse(format(n)!) as { id: string; eventType: string; eventTime: string; topic: string; subject: string; data: Record<string, any> }[];
  assert.equal(ev.id, n.id);
  assert.equal(ev.eventType, 'Microsoft.Communication.IncomingCall');
  assert.equal(ev.eventTime, incoming.occurredAt);
  assert.equal(ev.topic, '/switchboard/applications/app1');
  assert.equal(ev.subject, '/caller/4:+4915112345678/recipient/4:+4930777');
  assert.equal(ev.data.from.rawId, '4:+4915112345678');
  assert.equal(ev.data.serverCallId, Buffer.from('sb:call1').toString('base64'));
  assert.equal(contexts.open(ev.data.incomingCallContext, 'app1'), 'call1');
  assert.equal(contexts.open(ev.data.incomingCallContext, 'app2'), undefined);
  assert.deepEqual(eventGridHeaders(n, ''), { 'aeg-event-type': 'Notification' });
});

test('RecordingFileStatusUpdated: only final rows, one id per recording, file URLs on the given base', () => {
  const row = { id: 'rec1', callId: 'call1', applicationId: 'app1', channels: 2, durationMs: 1500, state: 'completed', createdAt: 1_767_000_000_000, updatedAt: 1_767_000_001_500 };
  assert.equal(recordingFileNotice({ ...row, state: 'recording' }), undefined);
  assert.equal(recordingFileNotice({ ...row, state: 'paused' }), undefined);
  const n = recordingFileNotice(row)!;
  assert.equal(n.id, recordingFileNotice(row)!.id);
  const [ev] = JSON.parse(format(n)!) as { id: string; eventType: string; data: Record<string, any> }[];
  assert.equal(ev.id, n.id);
  assert.equal(ev.eventType, 'Microsoft.Communication.RecordingFileStatusUpdated');
  assert.equal(ev.data.recordingDurationMs, 1500);
  assert.equal(ev.data.recordingChannelType, 'unmixed');
  assert.equal(ev.data.recordingStartTime, new Date(row.createdAt).toISOString());
  const [chunk] = ev.data.recordingStorageInfo.recordingChunks;
  assert.equal(chunk.documentId, 'rec1');
  assert.equal(chunk.contentLocation, 'https://sb.example:8443/calling/recordings/rec1/content');
  assert.equal(chunk.endReason, 'SessionEnded');
  const failed = JSON.parse(format(recordingFileNotice({ ...row, state: 'failed' })!)!) as { data: Record<string, any> }[];
  assert.equal(failed[0].data.sessionEndReason, 'Failed');
  assert.ok(isRecordingFinal({ ...incoming, type: 'recording.stateChanged', data: { state: 'stopped' } }));
  assert.ok(!isRecordingFinal({ ...incoming, type: 'recording.stateChanged', data: { state: 'paused' } }));
});

test('every other event formats to null (nothing to send)', () => {
  assert.equal(format(incoming), null);
  assert.equal(format({ ...incoming, type: 'recording.stateChanged', data: { state: 'stopped', recordingId: 'r' } }), null);
});

test('EventGridValidations: one handshake in flight per URL, success remembered, failure retried', async () => {
  let calls = 0;
  let answer = false;
  const problems: string[] = [];
  const v = new EventGridValidations({ validate: async () => { calls++; await new Promise((r) => setTimeout(r, 10)); return answer; }, onProblem: (_u, p) => problems.push(p) });
  const d = { url: 'http://x/eg' } as Parameters<typeof v.gate>[0];
  const [a, b] = await Promise.all([v.gate(d, incoming), v.gate(d, incoming)]);
  assert.equal(calls, 1, 'concurrent deliveries share one handshake');
  assert.match(String(a), /^held back: .*validation handshake/);
  assert.equal(a, b);
  assert.equal(problems.length, 2);
  answer = true;
  assert.equal(await v.gate(d, incoming), undefined);
  assert.equal(await v.gate(d, incoming), undefined);
  assert.equal(calls, 2, 'validated once, then remembered');
  assert.deepEqual(v.status('http://x/eg'), { validated: true, handshakes: 2 });
});
