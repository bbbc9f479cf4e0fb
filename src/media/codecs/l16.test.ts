import { test } from 'node:test';
import assert from 'node:assert/strict';
import { l16DecodeInto, l16EncodeInto } from './l16.ts';

test('L16 is big-endian on the wire', () => {
  const bytes = new Uint8Array(6);
  assert.equal(l16EncodeInto(Int16Array.of(0x0102, -2, -32768), bytes), 6);
  assert.deepEqual([...bytes], [0x01, 0x02, 0xff, 0xfe, 0x80, 0x00]);
  const back = new Int16Array(3);
  assert.equal(l16DecodeInto(bytes, back), 3);
  assert.deepEqual([...back], [0x0102, -2, -32768]);
});

test('every 16-bit value round-trips', () => {
  const x = new Int16Array(65536);
  for (let i = 0; i < 65536; i++) x[i] = i - 32768;
  const b = new Uint8Array(131072);
  l16EncodeInto(x, b);
  const y = new Int16Array(65536);
  l16DecodeInto(b, y);
  assert.deepEqual(y, x);
  // Same bytes as Node's own big-endian writer.
  assert.deepEqual(Buffer.from(b.subarray(0, 4)), (() => { const t = Buffer.alloc(4); t.writeInt16BE(-32768, 0); t.writeInt16BE(-32767, 2); return t; })());
});
