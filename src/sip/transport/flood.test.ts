import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, nullLogger } from '../../lib/index.ts';
import { createResponse } from '../message/index.ts';
import type { SipRequest } from '../message/index.ts';
import { FloodGuard, IpMatcher, TransportLayer } from './index.ts';
import { options, sleep, UdpPeer } from './test-helpers.ts';

test('token bucket: burst, then the rate; running dry bans the source until banMs passes', () => {
  const clock = new FakeClock(1_000);
  const g = new FloodGuard({ ratePerSecond: 10, burst: 5, banMs: 60_000 }, clock, nullLogger);
  const bans: [string, number][] = [];
  g.onBan = (a, until) => bans.push([a, until]);
  for (let i = 0; i < 5; i++) assert.equal(g.admit('192.0.2.1'), 'ok');
  clock.advance(100); // refills exactly one token at 10/s
  assert.equal(g.admit('192.0.2.1'), 'ok');
  assert.equal(g.admit('192.0.2.1'), 'rate');
  assert.deepEqual(bans, [['192.0.2.1', 1_100 + 60_000]]);
  assert.equal(g.admit('192.0.2.1'), 'banned');
  assert.equal(g.admit('192.0.2.2'), 'ok', 'other sources are unaffected');
  clock.advance(59_999);
  assert.equal(g.admit('192.0.2.1'), 'banned');
  clock.advance(1);
  assert.equal(g.admit('192.0.2.1'), 'ok', 'the ban expired and the bucket refilled');
  assert.equal(g.activeBans().size, 0);
});

test('exempt sources (IPs and CIDR, v4 and v6) are never limited or banned', () => {
  const clock = new FakeClock();
  const g = new FloodGuard({ ratePerSecond: 1, burst: 1, exempt: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'] }, clock, nullLogger);
  for (let i = 0; i < 100; i++) {
    assert.equal(g.admit('10.200.3.4'), 'ok');
    assert.equal(g.admit('2001:db8:0:1::5'), 'ok');
    assert.equal(g.admit('192.0.2.7'), 'ok');
  }
  assert.equal(g.admit('11.0.0.1'), 'ok');
  assert.equal(g.admit('11.0.0.1'), 'rate');
  g.ban('10.1.1.1', 'test');
  assert.equal(g.isBanned('10.1.1.1'), false);
  const m = new IpMatcher(['127.0.0.0/8', '::1']);
  assert.equal(m.matches('127.0.0.2'), true);
  assert.equal(m.matches('::ffff:127.0.0.1'), true, 'IPv4-mapped addresses match IPv4 blocks');
  assert.equal(m.matches('::1'), true);
  assert.equal(m.matches('128.0.0.1'), false);
  assert.throws(() => new IpMatcher(['10.0.0.0/33']), /prefix/);
  assert.throws(() => new IpMatcher(['not-an-ip']), /not an IP/);
});

test('scanner user agents are recognised case-insensitively; the list is configurable', () => {
  const g = new FloodGuard({}, new FakeClock(), nullLogger);
  for (const ua of ['friendly-scanner', 'sipvicious 0.3', 'SIPCLI/v1.8', 'VaxSIPUserAgent/3.1', 'sip-scan', 'iWar', 'pplsip', 'sundayddr']) {
    assert.equal(g.isScanner(ua), true, ua);
  }
  assert.equal(g.isScanner('Linphone/5.0 (belle-sip/4.5)'), false);
  assert.equal(g.isScanner(undefined), false);
  const custom = new FloodGuard({ scannerUserAgents: ['evil.bot'] }, new FakeClock(), nullLogger);
  assert.equal(custom.isScanner('EVIL.BOT 1.0'), true);
  assert.equal(custom.isScanner('evilXbot'), false, 'entries are literal, not regular expressions');
  assert.equal(custom.isScanner('friendly-scanner'), false);
});

test('connection counting per source, refusal at the limit and while banned', () => {
  const g = new FloodGuard({}, new FakeClock(), nullLogger);
  assert.equal(g.openConnection('192.0.2.1', 2), true);
  assert.equal(g.openConnection('192.0.2.1', 2), true);
  assert.equal(g.openConnection('192.0.2.1', 2), false);
  g.closeConnection('192.0.2.1');
  assert.equal(g.openConnection('192.0.2.1', 2), true);
  g.ban('192.0.2.9', 'test');
  assert.equal(g.openConnection('192.0.2.9', 2), false);
});

test('tracked sources are capped; sources holding connections are not forgotten', () => {
  const g = new FloodGuard({ maxTrackedSources: 100 }, new FakeClock(), nullLogger);
  g.openConnection('192.0.2.1', 10);
  for (let i = 0; i < 1000; i++) g.admit(`198.51.${i >> 8}.${i & 255}`);
  assert.equal(g.connectionsFrom('192.0.2.1'), 1);
  assert.ok((g as unknown as { buckets: Map<string, unknown> }).buckets.size <= 101);
});

test('UDP flood: the flooding source is banned and dropped before parsing; a second source still gets answers', async () => {
  const clock = new FakeClock(); // no refill while the test runs: the numbers are exact
  const layer = await TransportLayer.start({
    host: '127.0.0.1', udpPort: 0, tcpPort: false, wsPort: false, clock, flood: { ratePerSecond: 10, burst: 20, banMs: 5000 },
  });
  const flooder = await UdpPeer.open('127.0.0.1');
  const other = await UdpPeer.open('127.0.0.2');
  const bans: string[] = [];
  layer.on('ban', (a) => bans.push(a));
  let fromFlooder = 0;
  layer.on('message', (m, s) => {
    if (s.address === '127.0.0.1') fromFlooder++;
    void layer.send(createResponse(m as SipRequest, 200), { protocol: 'UDP', address: s.address, port: s.port });
  });
  try {
    for (let i = 0; i < 60; i++) flooder.send(options(), layer.ports.udp!);
    other.send(options(), layer.ports.udp!);
    assert.match(await other.next(), /^SIP\/2\.0 200 OK/);
    const deadline = Date.now() + 1000;
    while (layer.stats.droppedBanned + layer.stats.droppedRate + fromFlooder < 60 && Date.now() < deadline) await sleep(10);
    assert.equal(fromFlooder, 20, 'exactly the burst went up');
    assert.deepEqual(bans, ['127.0.0.1']);
    assert.equal(layer.stats.droppedRate, 1);
    assert.equal(layer.stats.droppedBanned, 39);
    // The ban ends with banMs.
    clock.advance(5000);
    flooder.received.length = 0;
    flooder.send(options(), layer.ports.udp!);
    assert.match(await flooder.next(), /^SIP\/2\.0 200 OK/);
  } finally {
    flooder.close();
    other.close();
    await layer.close();
  }
});

test('UDP: a request from a scanner user agent is dropped unanswered and its source banned', async () => {
  const layer = await TransportLayer.start({ host: '127.0.0.1', udpPort: 0, tcpPort: false, wsPort: false });
  const scanner = await UdpPeer.open('127.0.0.3');
  const scanners: string[] = [];
  let up = 0;
  layer.on('scanner', (a, ua) => scanners.push(`${a} ${ua}`));
  layer.on('message', () => up++);
  try {
    scanner.send(options({ ua: 'friendly-scanner' }), layer.ports.udp!);
    scanner.send(options({ ua: 'Linphone' }), layer.ports.udp!); // banned now: dropped too
    const deadline = Date.now() + 1000;
    while (layer.stats.droppedBanned < 1 && Date.now() < deadline) await sleep(10);
    await sleep(30);
    assert.deepEqual(scanners, ['127.0.0.3 friendly-scanner']);
    assert.equal(up, 0);
    assert.equal(scanner.received.length, 0);
    assert.equal(layer.stats.droppedScanner, 1);
    assert.equal(layer.stats.droppedBanned, 1);
  } finally {
    scanner.close();
    await layer.close();
  }
});
