// The media streaming callbacks as the official SDK reads them: each core event is formatted by
// the 'acs' formatter and parsed back with parseCallAutomationEvent of SDK 1.5.1 and 1.6.0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { SUBCODE, type DomainEvent } from '../../../core/index.ts';
import { acsFormatter } from '../callback-events.ts';

const require = createRequire(import.meta.url);
const SDKS = ['acs-sdk-151', 'acs-sdk-160'] as const;

const ev = (type: string, data: Record<string, unknown>): DomainEvent => ({
  id: '0190a0a0-0000-7000-8000-000000000002', type, applicationId: 'app1', callId: 'call-9', occurredAt: '2026-01-02T03:04:05.000Z', data,
});

for (const v of SDKS) {
  const sdk = require(v) as typeof import('acs-sdk-160');
  const parse = (e: DomainEvent): Record<string, any> => {
    const body = acsFormatter(e);
    assert.ok(body, `${e.type} has an ACS callback`);
    return sdk.parseCallAutomationEvent(body) as unknown as Record<string, any>;
  };

  test(`${v}: MediaStreamingStarted / Stopped with mediaStreamingUpdate`, () => {
    const s = parse(ev('mediaStreaming.started', { streamId: 's1', operationContext: 'ctx' }));
    assert.equal(s.kind, 'MediaStreamingStarted');
    assert.equal(s.callConnectionId, 'call-9');
    assert.equal(s.operationContext, 'ctx');
    assert.deepEqual(s.mediaStreamingUpdate, { contentType: 'Audio', mediaStreamingStatus: 'mediaStreamingStarted', mediaStreamingStatusDetails: 'subscriptionStarted' });
    assert.equal(s.resultInformation.code, 200);
    const stopped = parse(ev('mediaStreaming.stopped', { streamId: 's1', reason: 'stopped', dropped: 3 }));
    assert.equal(stopped.kind, 'MediaStreamingStopped');
    assert.equal(stopped.mediaStreamingUpdate.mediaStreamingStatusDetails, 'subscriptionStopped');
    const peer = parse(ev('mediaStreaming.stopped', { streamId: 's1', reason: 'peer', dropped: 0 }));
    assert.equal(peer.mediaStreamingUpdate.mediaStreamingStatusDetails, 'streamConnectionInterrupted');
  });

  test(`${v}: MediaStreamingFailed for a failed connect, a broken socket and a refused start — never twice`, () => {
    const c = parse(ev('mediaStreaming.failed', { reason: 'connect', error: 'connect ECONNREFUSED', dropped: 0 }));
    assert.equal(c.kind, 'MediaStreamingFailed');
    assert.deepEqual([c.resultInformation.code, c.resultInformation.subCode, c.resultInformation.message], [500, 8536, 'connect ECONNREFUSED']);
    assert.equal(c.mediaStreamingUpdate.mediaStreamingStatus, 'mediaStreamingFailed');
    assert.equal(c.mediaStreamingUpdate.mediaStreamingStatusDetails, 'initialWebSocketConnectionFailed');
    const broken = parse(ev('mediaStreaming.failed', { reason: 'error', error: 'socket hang up', dropped: 12 }));
    assert.equal(broken.mediaStreamingUpdate.mediaStreamingStatusDetails, 'streamConnectionInterrupted');
    const refused = parse(ev('startMediaStreaming.failed', { result: { code: 400, subcode: SUBCODE.INTERNAL, message: 'media streaming is not configured on this node' } }));
    assert.equal(refused.kind, 'MediaStreamingFailed');
    assert.equal(refused.mediaStreamingUpdate.mediaStreamingStatusDetails, 'unspecifiedError');
    // The connect failure already has its mediaStreaming.failed: the operation's own is not sent.
    assert.equal(acsFormatter(ev('startMediaStreaming.failed', { result: { code: 500, subcode: SUBCODE.MEDIA_FAILED, message: 'x' } })), null);
  });
}
