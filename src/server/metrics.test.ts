// Metrics: counters with bounded labels and gauges read from providers at scrape time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics, methodLabel, statusLabel } from './metrics.ts';

test('sip_messages_total labels requests by method and responses by status; unknown methods are OTHER', async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.sipMessage('in', 'INVITE');
  m.sipMessage('in', 'INVITE');
  m.sipMessage('out', 200, 'INVITE');
  m.sipMessage('out', 299, 'invite');
  m.sipMessage('in', 'XYZZY');
  m.sipMessage('in', 'register');
  const text = await m.registry.metrics();
  assert.match(text, /^sip_messages_total\{direction="in",method="INVITE",status=""\} 2$/m);
  assert.match(text, /^sip_messages_total\{direction="out",method="INVITE",status="200"\} 1$/m);
  assert.match(text, /^sip_messages_total\{direction="out",method="INVITE",status="2xx"\} 1$/m);
  assert.match(text, /^sip_messages_total\{direction="in",method="OTHER",status=""\} 1$/m);
  assert.match(text, /^sip_messages_total\{direction="in",method="REGISTER",status=""\} 1$/m);
  assert.match(text, /^switchboard_info\{version="\d+\.\d+\.\d+[^"]*"\} 1$/m);
});

test('label values stay bounded whatever the peer sends', () => {
  const methods = new Set<string>();
  const statuses = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    methods.add(methodLabel(`M${i}`));
    statuses.add(statusLabel(i));
  }
  assert.deepEqual([...methods], ['OTHER']);
  assert.ok(statuses.size < 60, `status labels: ${statuses.size}`);
  assert.equal(statusLabel(486), '486');
  assert.equal(statusLabel(499), '4xx');
  assert.equal(statusLabel(42), 'invalid');
});

test('parse errors by protocol, bans, and provider gauges read at scrape time', async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.sipParseError('UDP');
  m.sipParseError('tcp');
  m.sipParseError('carrier-pigeon');
  m.sipBan();
  let dialogs = 3;
  m.setProvider('sip_dialogs', () => dialogs);
  m.setProvider('sip_transactions', () => ({ ict: 2, nist: 5 }));
  m.setProvider('active_calls', () => { throw new Error('store down'); });

  let text = await m.registry.metrics();
  assert.match(text, /^sip_parse_errors_total\{protocol="udp"\} 1$/m);
  assert.match(text, /^sip_parse_errors_total\{protocol="other"\} 1$/m);
  assert.match(text, /^sip_bans_total 1$/m);
  assert.match(text, /^sip_dialogs 3$/m);
  assert.match(text, /^sip_transactions\{kind="ict"\} 2$/m);
  assert.match(text, /^sip_transactions\{kind="nict"\} 0$/m);
  assert.match(text, /^sip_transactions\{kind="nist"\} 5$/m);
  assert.match(text, /^active_calls 0$/m, 'a throwing provider reads as 0');
  assert.match(text, /^sip_registrations 0$/m);

  dialogs = 7;
  m.setProvider('sip_banned_sources', () => 2);
  text = await m.registry.metrics();
  assert.match(text, /^sip_dialogs 7$/m);
  assert.match(text, /^sip_banned_sources 2$/m);

  m.setProvider('sip_dialogs', undefined);
  assert.match(await m.registry.metrics(), /^sip_dialogs 0$/m);
});

test('default process metrics are included unless turned off', async () => {
  const text = await createMetrics().registry.metrics();
  assert.match(text, /^process_cpu_user_seconds_total /m);
  assert.match(text, /^nodejs_eventloop_lag_seconds /m);
});
