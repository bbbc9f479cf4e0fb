// baresip 1.0.0 (a real SIP UA we did not write) against a live node: it registers with digest
// credentials, calls the diagnostic callee sip:answer@ (the INVITE is challenged too, since
// nothing is trusted), the call is established, and baresip's BYE at quit leaves no dialog
// behind. A second test calls from a trusted source without credentials.
//
// Interoperability finding (see docs/sip.md "Interoperability"): baresip 1.0.0 (libre) gives up
// with ENOSYS ("Function not implemented") if ANY challenge names an algorithm other than MD5,
// even when an MD5 challenge is also present — so this node offers MD5 only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baresipAvailable, runBaresip } from './helpers/baresip.ts';
import { freeUdpPort } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';

const available = baresipAvailable();
if (!available && process.env.CI === 'true') throw new Error('baresip is not installed (apt package baresip); .ci/run must install it');

interface SipServiceView {
  ua: import('../src/sip/index.ts').UserAgent;
  lookupBindings(aor: string): Promise<import('../src/sip/index.ts').Binding[]>;
}
const sipService = (n: TestNode) => n.server.service('sip') as unknown as SipServiceView;

/** 8 kHz mono 16-bit WAV of a quiet 440 Hz tone: baresip's ausine only does 48 kHz, so the microphone is a file. */
function toneWav(seconds: number): string {
  const rate = 8000;
  const samples = rate * seconds;
  const buf = Buffer.alloc(44 + samples * 2);
  buf.write('RIFF', 0); buf.writeUInt32LE(36 + samples * 2, 4); buf.write('WAVE', 8);
  buf.write('fmt ', 12); buf.writeUInt32LE(16, 16); buf.writeUInt16LE(1, 20); buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24); buf.writeUInt32LE(rate * 2, 28); buf.writeUInt16LE(2, 32); buf.writeUInt16LE(16, 34);
  buf.write('data', 36); buf.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) buf.writeInt16LE(Math.round(2000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  const file = join(mkdtempSync(join(tmpdir(), 'sb-wav-')), 'tone.wav');
  writeFileSync(file, buf);
  return file;
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

describe('baresip registers and calls with digest (nothing trusted)', { skip: !available && 'baresip not installed' }, () => {
  let node: TestNode;
  before(async () => {
    node = await startNode({
      yaml: 'sip:\n  trusted: []\n  digestAlgorithms: [MD5]\n  users:\n    - { username: alice, password: wonderland }\n',
    });
  });
  after(() => node?.stop());

  test('REGISTER and INVITE are challenged and answered; the call is established and ends cleanly', async () => {
    const port = await freeUdpPort();
    // -e runs at start, so the INVITE may leave before the REGISTER completes; both are
    // challenged on their own, so the order does not matter to what is tested here.
    const run = runBaresip({
      port, seconds: 5, sourceWav: toneWav(8), rtpPorts: '38200-38300',
      account: `<sip:alice@127.0.0.1:${node.ports.udp};transport=udp>;auth_pass=wonderland;regint=600`,
      commands: [`/dial sip:answer@127.0.0.1:${node.ports.udp}`],
    });
    const svc = sipService(node);
    // The AOR is baresip's To URI, port included (the registrar keeps the port, aor.ts).
    const aor = `sip:alice@127.0.0.1:${node.ports.udp}`;
    // While baresip runs, the registrar holds alice's binding to baresip's port.
    const bound = await waitFor(async () => (await svc.lookupBindings(aor)).length > 0, 4000);
    const bindings = await svc.lookupBindings(aor);
    const r = await run;
    assert.ok(bound, `alice was never bound\n${r.output.slice(-3000)}`);
    assert.match(bindings[0].contact, new RegExp(`:${port}`), 'the binding points at baresip');
    assert.match(r.output, /200 OK \(\) \[1 binding\]/, r.output.slice(-3000));
    assert.match(r.output, /Call established/, r.output.slice(-3000));
    assert.doesNotMatch(r.output, /Function not implemented|401 Unauthorized|403/);
    // baresip sends BYE when it quits: nothing is left on our side.
    assert.ok(await waitFor(() => svc.ua.stats().dialogs === 0 && svc.ua.stats().sessions === 0, 3000), JSON.stringify(svc.ua.stats()));
  });
});

describe('baresip calls a trusted node without credentials', { skip: !available && 'baresip not installed' }, () => {
  let node: TestNode;
  before(async () => {
    node = await startNode(); // default config trusts 127.0.0.0/8
  });
  after(() => node?.stop());

  test('INVITE to sip:answer@ from a trusted source is established without a challenge', async () => {
    const port = await freeUdpPort();
    const r = await runBaresip({
      port, seconds: 4, sourceWav: toneWav(6), rtpPorts: '38300-38400',
      // No auth_pass and regint=0: baresip neither registers nor has anything to answer a challenge with.
      account: `<sip:bob@127.0.0.1:${node.ports.udp};transport=udp>;regint=0`,
      commands: [`/dial sip:answer@127.0.0.1:${node.ports.udp}`],
    });
    assert.match(r.output, /Call established/, r.output.slice(-3000));
    const ua = sipService(node).ua;
    assert.ok(await waitFor(() => ua.stats().dialogs === 0, 3000), JSON.stringify(ua.stats()));
  });
});
