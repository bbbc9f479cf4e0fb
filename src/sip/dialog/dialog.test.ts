// Dialog construction and in-dialog request building (RFC 3261 §12.1, §12.2), on real bytes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessage } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import { Dialog } from './dialog.ts';

const INVITE = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  'Record-Route: <sip:p2.example.com;lr>',
  'Record-Route: <sip:p1.example.com;lr>',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@pc33.atlanta.example.com>',
  'Content-Length: 0',
  '', '',
].join('\r\n');

const OK = [
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  'Record-Route: <sip:p2.example.com;lr>',
  'Record-Route: <sip:p1.example.com;lr>',
  'To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:bob@192.0.2.4>',
  'Content-Length: 0',
  '', '',
].join('\r\n');

const req = () => parseMessage(Buffer.from(INVITE)) as SipRequest;
const res = () => parseMessage(Buffer.from(OK)) as SipResponse;

describe('Dialog (RFC 3261 §12)', () => {
  it('UAC: route set is Record-Route reversed, target the 2xx Contact, CSeq continues (§12.1.2)', () => {
    const d = Dialog.asUac(req(), res(), '<sip:alice@pc33.atlanta.example.com>', 'confirmed');
    assert.deepEqual(d.id, { callId: 'a84b4c76e66710@pc33.atlanta.example.com', localTag: '1928301774', remoteTag: 'a6c85cf' });
    assert.deepEqual(d.routeSet, ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    assert.equal(d.remoteTarget, 'sip:bob@192.0.2.4');
    const bye = d.createRequest('BYE');
    assert.equal(bye.uri, 'sip:bob@192.0.2.4', 'loose routing keeps the target in the Request-URI');
    assert.deepEqual(bye.getAll('route'), ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    assert.equal(bye.cseq?.seq, 314160);
    assert.equal(bye.get('to'), 'Bob <sip:bob@biloxi.example.com>;tag=a6c85cf');
    assert.equal(bye.get('from'), 'Alice <sip:alice@atlanta.example.com>;tag=1928301774');
    assert.equal(d.nextHopUri(), 'sip:p1.example.com;lr');
    const ack = d.createRequest('ACK', { cseq: 314159 });
    assert.equal(ack.get('cseq'), '314159 ACK', 'ACK reuses the INVITE CSeq');
    assert.equal(d.localSeq, 314160, 'ACK does not advance the local sequence');
  });

  it('UAS: route set in order, remote target the request Contact, our tag on To (§12.1.1)', () => {
    const d = Dialog.asUas(req(), 'uas1', '<sip:bob@192.0.2.4>', 'early');
    assert.equal(d.state, 'early');
    assert.deepEqual(d.routeSet, ['<sip:p2.example.com;lr>', '<sip:p1.example.com;lr>']);
    assert.equal(d.remoteTarget, 'sip:alice@pc33.atlanta.example.com');
    assert.equal(d.remoteSeq, 314159);
    assert.equal(d.localSeq, undefined);
    const bye = d.createRequest('BYE');
    assert.equal(bye.get('from'), 'Bob <sip:bob@biloxi.example.com>;tag=uas1');
    assert.equal(bye.cseq?.seq, 1);
    d.confirm();
    assert.equal(d.state, 'confirmed');
  });

  it('strict routing: first route in the Request-URI, the target last in Route (§12.2.1.1)', () => {
    const strict = OK.replace('<sip:p1.example.com;lr>', '<sip:p1.example.com>');
    const d = Dialog.asUac(req(), parseMessage(Buffer.from(strict)) as SipResponse, '<sip:a@h>', 'confirmed');
    const info = d.createRequest('INFO');
    assert.equal(info.uri, 'sip:p1.example.com');
    assert.deepEqual(info.getAll('route'), ['<sip:p2.example.com;lr>', '<sip:bob@192.0.2.4>']);
  });

  it('rejects a CSeq lower than the remote sequence with 500 and refreshes the target (§12.2.2)', () => {
    const d = Dialog.asUas(req(), 'uas1', '<sip:bob@192.0.2.4>', 'confirmed');
    const older = parseMessage(Buffer.from(INVITE.replace('CSeq: 314159 INVITE', 'CSeq: 314158 INVITE'))) as SipRequest;
    assert.deepEqual(d.receiveRequest(older), { status: 500, reason: 'CSeq Out of Order' });
    const newer = parseMessage(Buffer.from(INVITE.replace('CSeq: 314159 INVITE', 'CSeq: 314160 INVITE').replace('Contact: <sip:alice@pc33', 'Contact: <sip:alice@pc34'))) as SipRequest;
    assert.equal(d.receiveRequest(newer), undefined);
    assert.equal(d.remoteSeq, 314160);
    d.refreshTarget(newer, 'INVITE');
    assert.equal(d.remoteTarget, 'sip:alice@pc34.atlanta.example.com');
    d.refreshTarget(parseMessage(Buffer.from(INVITE.replace('Contact: <sip:alice@pc33', 'Contact: <sip:alice@pc99'))) as SipRequest, 'INFO');
    assert.equal(d.remoteTarget, 'sip:alice@pc34.atlanta.example.com', 'INFO is not a target refresh');
  });
});
