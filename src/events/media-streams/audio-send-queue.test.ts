// AudioSendQueue: a consumer slower than real time loses the OLDEST audio, counted, and never
// makes the stream later than maxFrames of audio.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AudioSendQueue, type FrameSink } from './audio-send-queue.ts';

/** A socket whose writes complete only when the test says so. */
function stalledSink(): FrameSink & { written: string[]; pending: (() => void)[] } {
  const s = {
    written: [] as string[],
    pending: [] as (() => void)[],
    send(data: string | Buffer, done: (err?: Error) => void) {
      s.written.push(String(data));
      s.pending.push(() => done());
    },
  };
  return s;
}

describe('AudioSendQueue', () => {
  test('a fast consumer gets every frame, in order, nothing shed', () => {
    const written: string[] = [];
    const q = new AudioSendQueue({ send: (d, done) => { written.push(String(d)); done(); } }, 25);
    for (let i = 0; i < 500; i++) q.push(`f${i}`);
    assert.equal(written.length, 500);
    assert.equal(written[0], 'f0');
    assert.equal(written[499], 'f499');
    assert.equal(q.dropped, 0);
  });

  test('a stalled consumer: at most maxFrames held, the oldest waiting frames shed and counted', () => {
    const sink = stalledSink();
    const q = new AudioSendQueue(sink, 25); // 500 ms of 20 ms frames
    for (let i = 0; i < 100; i++) q.push(`f${i}`);
    assert.equal(sink.written.length, 13, 'half in flight');
    assert.equal(q.queued, 12, 'the rest waits');
    assert.equal(q.dropped, 75, '100 pushed − 25 held');
    assert.equal(q.sent + q.queued + q.dropped, 100, 'every frame accounted for');
    // The consumer catches up: what it gets next is the NEWEST audio, not 2 s old audio.
    for (const done of sink.pending.splice(0)) done();
    assert.equal(sink.written[13], 'f88', 'oldest waiting frame is 12 frames (240 ms) behind the newest');
    assert.equal(sink.written.at(-1), 'f99');
    assert.equal(q.queued, 0);
  });

  test('after close() nothing more is written', () => {
    const sink = stalledSink();
    const q = new AudioSendQueue(sink, 4);
    q.push('a'); q.push('b'); q.push('c'); q.push('d');
    q.close();
    for (const done of sink.pending.splice(0)) done();
    q.push('e');
    assert.deepEqual(sink.written, ['a', 'b']);
  });
});
