import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  ALAW_DECODE, ALAW_ENCODE, ULAW_DECODE, ULAW_ENCODE, pcmaDecodeInto, pcmaEncodeInto, pcmuDecodeInto, pcmuEncodeInto,
} from './g711.ts';

test('µ-law: known values from G.711', () => {
  assert.equal(ULAW_DECODE[0xff], 0);
  assert.equal(ULAW_DECODE[0x7f], 0);
  assert.equal(ULAW_DECODE[0x00], -32124);
  assert.equal(ULAW_DECODE[0x80], 32124);
  assert.equal(ULAW_ENCODE[0], 0xff);
  assert.equal(ULAW_ENCODE[32767], 0x80);
  assert.equal(ULAW_ENCODE[-32768 & 0xffff], 0x00);
});

test('A-law: known values from G.711', () => {
  assert.equal(ALAW_DECODE[0xd5], 8);
  assert.equal(ALAW_DECODE[0x55], -8);
  assert.equal(ALAW_DECODE[0xaa], 32256);
  assert.equal(ALAW_DECODE[0x2a], -32256);
  assert.equal(ALAW_ENCODE[0], 0xd5);
  assert.equal(ALAW_ENCODE[-1 & 0xffff], 0x55);
});

test('every 8-bit code decodes and re-encodes to itself (except µ-law negative zero 0x7f)', () => {
  for (let c = 0; c < 256; c++) {
    if (c !== 0x7f) assert.equal(ULAW_ENCODE[ULAW_DECODE[c] & 0xffff], c, `µ-law 0x${c.toString(16)}`);
    assert.equal(ALAW_ENCODE[ALAW_DECODE[c] & 0xffff], c, `A-law 0x${c.toString(16)}`);
  }
  assert.equal(ULAW_ENCODE[ULAW_DECODE[0x7f] & 0xffff], 0xff);
});

test('encoding is monotonic in the sample value (decoded level never goes down as input rises)', () => {
  let pu = -Infinity;
  let pa = -Infinity;
  for (let s = -32768; s < 32768; s++) {
    const u = ULAW_DECODE[ULAW_ENCODE[s & 0xffff]];
    const a = ALAW_DECODE[ALAW_ENCODE[s & 0xffff]];
    assert.ok(u >= pu && a >= pa, `at ${s}`);
    pu = u; pa = a;
  }
});

function snrDb(codec: 'u' | 'a', amplitude: number): number {
  const n = 8000;
  const x = new Int16Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 1000 * i) / 8000 + 0.3));
  const bytes = new Uint8Array(n);
  const y = new Int16Array(n);
  if (codec === 'u') { pcmuEncodeInto(x, bytes); pcmuDecodeInto(bytes, y); }
  else { pcmaEncodeInto(x, bytes); pcmaDecodeInto(bytes, y); }
  let sig = 0;
  let err = 0;
  for (let i = 0; i < n; i++) { sig += x[i] * x[i]; err += (x[i] - y[i]) ** 2; }
  return 10 * Math.log10(sig / err);
}

test('a 1 kHz sine survives encode → decode with SNR > 35 dB', () => {
  for (const amp of [2000, 8000, 20000]) {
    const u = snrDb('u', amp);
    const a = snrDb('a', amp);
    assert.ok(u > 35, `µ-law at amplitude ${amp}: ${u.toFixed(1)} dB`);
    assert.ok(a > 35, `A-law at amplitude ${amp}: ${a.toFixed(1)} dB`);
  }
});

test('encode/decode honour the length argument and leave the rest of dst alone', () => {
  const dst = new Int16Array(4).fill(7);
  assert.equal(pcmuDecodeInto(Uint8Array.of(0xff, 0x00, 0x80), dst, 2), 2);
  assert.deepEqual([...dst], [0, -32124, 7, 7]);
});

const haveSox = spawnSync('which', ['sox']).status === 0;

test('decode tables equal sox\'s G.711 decoder for all 256 codes', { skip: !haveSox && 'sox not installed' }, () => {
  const codes = Buffer.alloc(256);
  for (let c = 0; c < 256; c++) codes[c] = c;
  for (const [enc, table] of [['u-law', ULAW_DECODE], ['a-law', ALAW_DECODE]] as const) {
    const r = spawnSync('sox', ['-t', 'raw', '-r', '8000', '-e', enc, '-b', '8', '-c', '1', '-', '-t', 'raw', '-e', 'signed', '-b', '16', '-L', '-'], { input: codes });
    assert.equal(r.status, 0, String(r.stderr));
    const pcm = r.stdout as Buffer;
    for (let c = 0; c < 256; c++) assert.equal(pcm.readInt16LE(2 * c), table[c], `${enc} 0x${c.toString(16)}`);
  }
});
