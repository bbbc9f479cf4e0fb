// Flood protection of the LIVE server: with no trusted sources, a flooder on 127.0.0.2 that
// sends OPTIONS as fast as it can is banned (sip_bans_total on /metrics) while a polite client
// on 127.0.0.3 keeps being answered quickly; the ban ends after banMs; a known scanner's
// User-Agent gets no answer; and one source cannot hold more than maxConnectionsPerSource TCP
// connections while another still can connect. Linux routes all of 127/8 to lo.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startNode, type TestNode } from './helpers/switchboard.ts';

const FLOODER = '127.0.0.2';
const POLITE = '127.0.0.3';
const SCANNER = '127.0.0.4';
const BAN_MS = 2000;
const MAX_CONN = 4;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function options(callId: string, from: string, port: number, extra: string[] = []): Buffer {
  return Buffer.from([
    'OPTIONS sip:probe@127.0.0.1 SIP/2.0', `Via: SIP/2.0/UDP ${from}:${port};branch=z9hG4bK${callId};rport`,
    'Max-Forwards: 70', 'To: <sip:probe@127.0.0.1>', `From: <sip:c@${from}>;tag=${callId}`, `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS', ...extra, 'Content-Length: 0', '', '',
  ].join('\r\n'));
}

async function udpSocket(address: string): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((res, rej) => {
    s.once('error', rej);
    s.bind(0, address, () => res());
  });
  return s;
}

/** Send one OPTIONS and wait for any answer with its Call-ID; resolves the latency or undefined. */
function ask(s: dgram.Socket, from: string, target: number, callId: string, ms: number, extra: string[] = []): Promise<number | undefined> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const onMsg = (m: Buffer) => {
      if (!m.toString('latin1').includes(callId)) return;
      done(performance.now() - t0);
    };
    const timer = setTimeout(() => done(undefined), ms);
    const done = (v: number | undefined) => {
      clearTimeout(timer);
      s.off('message', onMsg);
      resolve(v);
    };
    s.on('message', onMsg);
    s.send(options(callId, from, s.address().port, extra), target, '127.0.0.1');
  });
}

async function metric(node: TestNode, name: string): Promise<number> {
  const text = await (await fetch(`${node.http}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

describe('SIP flood protection on the live server', () => {
  let node: TestNode;
  before(async () => {
    node = await startNode({
      yaml: `sip:\n  trusted: []\n  flood: { requestsPerSecond: 50, burst: 100, banMs: ${BAN_MS}, maxConnectionsPerSource: ${MAX_CONN} }\n`,
    });
  });
  after(async () => {
    await node?.stop();
  });

  it('bans a flooder, keeps serving a polite client, and lifts the ban after banMs', async () => {
    const flooder = await udpSocket(FLOODER);
    const polite = await udpSocket(POLITE);
    let floodAnswers = 0;
    flooder.on('message', () => floodAnswers++);
    try {
      const bansBefore = await metric(node, 'sip_bans_total');
      const latencies: (number | undefined)[] = [];
      let retransmitted = 0;
      let politeDone = false;
      const politeLoop = (async () => {
        for (let i = 0; i < 20; i++) {
          // Like a real UA over UDP (RFC 3261 §17.1.2.2, Timer E = T1 = 500 ms): a request the
          // kernel dropped from the server socket's full receive buffer during a burst is sent
          // again; what the guard must never do is ignore a polite source.
          let l = await ask(polite, POLITE, node.ports.udp, `polite-${i}`, 500);
          if (l === undefined) {
            retransmitted++;
            l = await ask(polite, POLITE, node.ports.udp, `polite-${i}`, 1000);
            latencies.push(l === undefined ? undefined : Number.NaN);
          } else {
            latencies.push(l);
          }
          await sleep(50);
        }
        politeDone = true;
      })();
      // 2,000 OPTIONS in bursts of 50 every few ms. The node shares this process's event loop,
      // so larger bursts only overflow the kernel's receive buffer of the server socket, which
      // drops innocent datagrams as well — a property of UDP, not of the flood guard.
      const FLOOD = 2000;
      for (let i = 0; i < FLOOD && !politeDone; i += 50) {
        for (let j = i; j < i + 50; j++) flooder.send(options(`flood-${j}`, FLOODER, flooder.address().port), node.ports.udp, '127.0.0.1');
        await sleep(5);
      }
      await politeLoop;
      await sleep(100);
      const bansAfter = await metric(node, 'sip_bans_total');
      assert.ok(bansAfter - bansBefore >= 1, `sip_bans_total went ${bansBefore} → ${bansAfter}`);
      // At most the burst plus ~rate × duration may be answered before and around the ban.
      assert.ok(floodAnswers < 300, `the flooder got ${floodAnswers} answers`);
      const missing = latencies.filter((l) => l === undefined).length;
      assert.equal(missing, 0, `every polite request was answered (missing: ${latencies.flatMap((l, i) => (l === undefined ? [i] : []))})`);
      assert.ok(retransmitted <= 2, `${retransmitted} of 20 polite requests needed a retransmission`);
      const sorted = (latencies as number[]).filter((l) => !Number.isNaN(l)).sort((a, b) => a - b);
      const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)];
      assert.ok(p99 < 100, `polite p99 ${p99.toFixed(1)} ms`);
      // Still banned now; served again once banMs has passed since the ban.
      assert.equal(await ask(flooder, FLOODER, node.ports.udp, 'flood-while-banned', 300), undefined);
      await sleep(BAN_MS + 200);
      assert.notEqual(await ask(flooder, FLOODER, node.ports.udp, 'flood-after-ban', 1000), undefined, 'served after the ban');
    } finally {
      flooder.close();
      polite.close();
    }
  });

  it('does not answer a request from a known scanner (User-Agent: friendly-scanner)', async () => {
    const s = await udpSocket(SCANNER);
    try {
      assert.equal(await ask(s, SCANNER, node.ports.udp, 'scan-1', 400, ['User-Agent: friendly-scanner']), undefined);
      // The same source is then banned: even a plain request is dropped.
      assert.equal(await ask(s, SCANNER, node.ports.udp, 'scan-2', 300), undefined);
    } finally {
      s.close();
    }
  });

  it('limits TCP connections per source while another source can still connect', async () => {
    const open: net.Socket[] = [];
    const connect = (localAddress: string) => new Promise<{ sock: net.Socket; closedSoon: boolean }>((resolve) => {
      const sock = net.connect({ port: node.ports.tcp, host: '127.0.0.1', localAddress });
      open.push(sock);
      let closed = false;
      sock.on('close', () => { closed = true; });
      sock.on('error', () => {});
      sock.once('connect', () => setTimeout(() => resolve({ sock, closedSoon: closed }), 150));
      sock.once('close', () => resolve({ sock, closedSoon: true }));
    });
    try {
      const first = [];
      for (let i = 0; i < MAX_CONN; i++) first.push(await connect(FLOODER));
      assert.deepEqual(first.map((c) => c.closedSoon), Array(MAX_CONN).fill(false), 'the first connections stay open');
      const extra = await Promise.all([connect(FLOODER), connect(FLOODER)]);
      assert.deepEqual(extra.map((c) => c.closedSoon), [true, true], 'connections beyond the limit are closed');
      const other = await connect(POLITE);
      assert.equal(other.closedSoon, false, 'another source still connects');
      // And it is served on that connection.
      const answered = new Promise<string>((resolve) => {
        let text = '';
        other.sock.on('data', (d) => { text += d.toString('latin1'); if (/^SIP\/2\.0 [2-6]\d\d/m.test(text)) resolve(text); });
      });
      other.sock.write(options('tcp-polite', POLITE, other.sock.localPort ?? 0).toString('latin1').replace('SIP/2.0/UDP', 'SIP/2.0/TCP'));
      const text = await Promise.race([answered, sleep(1000).then(() => '')]);
      assert.match(text, /^SIP\/2\.0 (200|401) /m);
    } finally {
      for (const s of open) s.destroy();
    }
  });
});
