// RFC 3261 §18.2.2 and RFC 3581 §4: where a response is sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request, source } from './test-support.ts';
import { responseDestination } from './response-destination.ts';

test('UDP without rport: received address (the source IP), sent-by port', () => {
  const req = request({ sentBy: 'client.example.org:5080' });
  assert.deepEqual(responseDestination(req, source('UDP', '203.0.113.5', 33333)), { protocol: 'UDP', address: '203.0.113.5', port: 5080 });
});

test('UDP without a port in sent-by: 5060', () => {
  const req = request({ sentBy: 'client.example.org' });
  assert.deepEqual(responseDestination(req, source('UDP', '203.0.113.5', 33333)), { protocol: 'UDP', address: '203.0.113.5', port: 5060 });
});

test('UDP with rport (RFC 3581): source address and source port', () => {
  const req = request({ sentBy: '10.0.0.2:5060;rport' });
  assert.deepEqual(responseDestination(req, source('UDP', '203.0.113.5', 33333)), { protocol: 'UDP', address: '203.0.113.5', port: 33333 });
});

test('UDP with maddr: the maddr address, sent-by port', () => {
  const req = request({ sentBy: 'client.example.org:5062;maddr=239.255.255.1' });
  assert.deepEqual(responseDestination(req, source('UDP', '203.0.113.5', 33333)), { protocol: 'UDP', address: '239.255.255.1', port: 5062 });
});

test('TCP: the connection it came on; if gone, the received address and sent-by port', () => {
  const req = request({ transport: 'TCP', sentBy: 'client.example.org:5090' });
  assert.deepEqual(responseDestination(req, source('TCP', '203.0.113.5', 40001)),
    { protocol: 'TCP', address: '203.0.113.5', port: 5090, connectionId: 'conn-1' });
});

test('TLS without a sent-by port falls back to 5061', () => {
  const req = request({ transport: 'TLS', sentBy: 'client.example.org' });
  assert.equal(responseDestination(req, source('TLS', '203.0.113.5', 40001)).port, 5061);
});
