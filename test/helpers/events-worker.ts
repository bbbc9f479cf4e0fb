// A delivery node in a child process, for the kill -9 test: opens the SQLite store in the
// given data directory, optionally appends events, runs the webhook delivery engine, and
// prints one line per outcome ("ready", "retry <eventId>", "delivered <eventId>").
// SIGTERM stops it cleanly; the test mostly uses SIGKILL.
//   node --import tsx test/helpers/events-worker.ts <dataDir> [url callCount perCall]
import { newEventId } from '../../src/core/index.ts';
import { WebhookDeliveryEngine } from '../../src/events/index.ts';
import { openDatabase } from '../../src/store/index.ts';

const [dataDir, url, calls, perCall] = process.argv.slice(2);
const store = await openDatabase({ dataDir });
await store.migrate();
if (url) {
  for (let n = 0; n < Number(perCall); n++) {
    await store.transaction(async (tx) => {
      for (let c = 0; c < Number(calls); c++) {
        await tx.outbox.append(
          { id: newEventId(), type: 'test.event', applicationId: 'app1', callId: `call-${c}`, occurredAt: new Date().toISOString(), data: { call: c, n } },
          [{ url }],
        );
      }
    });
  }
}
const engine = new WebhookDeliveryEngine({
  outbox: store.outbox,
  owner: 'node-a',
  secrets: () => ['s3cret'],
  timeoutMs: 3000,
  pollIntervalMs: 200,
  retry: { baseDelayMs: 100, maxDelayMs: 400 },
});
engine.on('retry', (i) => console.log(`retry ${i.event.id}`));
engine.on('delivered', (i) => console.log(`delivered ${i.event.id}`));
engine.on('dead', (i) => console.log(`dead ${i.event.id} ${i.error}`));
await engine.start();
console.log('ready');
process.on('SIGTERM', () => {
  void engine.stop().then(() => store.close()).then(() => process.exit(0));
});
setInterval(() => {}, 1 << 30);
