// pcmToBuffer / bufferToPcm: the wire is little-endian PCM16 whatever the host, and the bytes are
// a copy (a framer's caller may queue them while the tap reuses its buffer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufferToPcm, pcmToBuffer } from './framer.ts';

test('pcmToBuffer writes little-endian bytes, copied from a sub-view of a larger array', () => {
  const whole = new Int16Array([111, 0x1234, -2, 32767, -32768, 222]);
  const view = whole.subarray(1, 5); // byteOffset 2: the copy must start there, not at 0
  const b = pcmToBuffer(view);
  assert.deepEqual([...b], [0x34, 0x12, 0xfe, 0xff, 0xff, 0x7f, 0x00, 0x80]);
  whole[1] = 0;
  assert.equal(b.readInt16LE(0), 0x1234, 'a copy, not a view of the samples');
});

test('bufferToPcm reads little-endian bytes at any (odd) offset and ignores an odd trailing byte', () => {
  const raw = Buffer.from([0x99, 0x34, 0x12, 0xfe, 0xff, 0x00, 0x80, 0x07]);
  const pcm = bufferToPcm(raw.subarray(1)); // odd byteOffset, 7 bytes
  assert.deepEqual([...pcm], [0x1234, -2, -32768]);
  raw[1] = 0;
  assert.equal(pcm[0], 0x1234, 'a copy');
  assert.deepEqual([...bufferToPcm(pcmToBuffer(new Int16Array([1, -1, 300])))], [1, -1, 300]);
});
