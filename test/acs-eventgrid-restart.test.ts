// Event Grid RecordingFileStatusUpdated survives kill -9: a real node in a child process
// (test/acs-eventgrid-node-worker.ts) takes a SIPp call streaming a 1 kHz tone; the bot (native
// REST API) answers, records 1.5 s and stops; the application's Event Grid endpoint is down, so
// the file notice (and the IncomingCall before it) are pending in the outbox. The node is
// SIGKILLed, the Event Grid receiver comes up, the node restarts on the same data: the
// handshake runs again (validation is per process), then IncomingCall and
// RecordingFileStatusUpdated arrive in that order, the notice's id is the outbox event id and
// its file URL points at the restarted node, which serves the WAV holding the tone.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openDatabase } from '../src/store/index.ts';
import { goertzelCoefficient, goertzelPower } from '../src/media/index.ts';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startReceiver, type ReceivedRequest, type WebhookReceiver } from './helpers/webhook-receiver.ts';
import { readWav } from './helpers/wav.ts';

const NUMBER = '+4930777456';
const ADMIN_KEY = 'test-admin-key-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'sb-eg-kill-'));
const children = new Set<ChildProcess>();
const receivers: WebhookReceiver[] = [];
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const r of receivers) await r.close();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(r: WebhookReceiver, pred: (q: ReceivedRequest) => boolean, what: string, timeoutMs = 20_000): Promise<ReceivedRequest> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = r.received.find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`${what} did not arrive; got ${r.received.map((x) => x.body.slice(0, 160)).join(' | ')}`);
    await sleep(25);
  }
}

/** Starts the node in a child process; resolves with its addresses once it is ready. */
function startChild(yaml: string): Promise<{ child: ChildProcess; http: string; sip: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/acs-eventgrid-node-worker.ts', dir, yaml], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error('node did not start in 20 s')), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => l.startsWith('{'));
      if (line) { clearTimeout(t); resolve({ child, ...(JSON.parse(line) as { http: string; sip: string }) }); }
    });
    child.once('exit', (code) => { clearTimeout(t); reject(new Error(`node exited with ${code} before it was ready`)); });
  });
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => { child.once('exit', () => resolve()); child.kill('SIGKILL'); });
}

async function api(base: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

interface NativeEvent { id: string; type: string; callId?: string; data: Record<string, unknown> }
const events = (r: WebhookReceiver): NativeEvent[] => r.received.map((q) => JSON.parse(q.body) as NativeEvent);
async function nativeEvent(r: WebhookReceiver, pred: (e: NativeEvent) => boolean, what: string): Promise<NativeEvent> {
  await waitFor(r, (q) => pred(JSON.parse(q.body) as NativeEvent), what);
  return events(r).find(pred)!;
}

test('a pending RecordingFileStatusUpdated is delivered by the node restarted after SIGKILL', { skip: sippAvailable() ? false : 'sipp missing', timeout: 90_000 }, async () => {
  const tone = join(dir, 'tone.ulaw');
  assert.equal(spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-t', 'ul', tone, 'synth', '15', 'sine', '1000', 'vol', '0.5']).status, 0, 'sox makes the tone');
  // The Event Grid endpoint: a reserved port with nobody listening yet.
  const probe = await startReceiver();
  const egPort = probe.port;
  await probe.close();
  const egUrl = `http://127.0.0.1:${egPort}/eventgrid`;
  const callbacks = await startReceiver();
  receivers.push(callbacks);
  const yaml = `\napplications:\n  - name: killbot\n    numbers:\n      - "${NUMBER}"\n    callbackUrl: "${callbacks.url}"\n    acsIncomingCallUrl: "${egUrl}"\n`;

  const n1 = await startChild(yaml);
  const sipp = runSipp({ scenario: 'acs-uac-tone-wait-bye.xml', target: n1.sip, service: NUMBER, args: ['-mp', String(await freeUdpPort())], cwdFiles: { 'tone.ulaw': tone }, timeoutMs: 60_000 });
  const incoming = await nativeEvent(callbacks, (e) => e.type === 'call.incoming', 'call.incoming').catch(async (e: Error) => { throw new Error(`${e.message}\n${explain(await sipp)}`); });
  const callId = incoming.callId!;
  assert.equal((await api(n1.http, `/v1/calls/${callId}/answer`, {})).status, 202);
  await nativeEvent(callbacks, (e) => e.type === 'call.answered', 'call.answered');
  assert.equal((await api(n1.http, `/v1/calls/${callId}/recordings`, { channels: 1 })).status, 202);
  const active = await nativeEvent(callbacks, (e) => e.type === 'recording.stateChanged' && e.data.state === 'active', 'recording active');
  const rid = String(active.data.recordingId);
  await sleep(1500);
  assert.equal((await api(n1.http, `/v1/calls/${callId}/recordings/${rid}/stop`, {})).status, 202);
  await nativeEvent(callbacks, (e) => e.type === 'recording.stateChanged' && e.data.state === 'stopped', 'recording stopped');

  // The notice is in the outbox, pending (the database is the truth; SQLite WAL lets us read it).
  let store = await openDatabase({ dataDir: join(dir, 'data') });
  let noticeId: string | undefined;
  try {
    for (let i = 0; i < 200 && !noticeId; i++) {
      const e = (await store.outbox.listEvents({ limit: 1000 })).find((x) => x.type === 'acs.eventGrid.recordingFileStatusUpdated' && x.data.recordingId === rid);
      if (e) noticeId = e.id;
      else await sleep(25);
    }
    assert.ok(noticeId, 'RecordingFileStatusUpdated was appended to the outbox');
    const [d] = await store.outbox.deliveriesOf(noticeId);
    assert.equal(d.format, 'acs-eventgrid');
    assert.equal(d.url, egUrl);
    assert.equal(d.state, 'pending');
  } finally {
    await store.close();
  }
  assert.equal((await api(n1.http, `/v1/calls/${callId}/hangup`, {})).status, 202);
  const res = await sipp;
  assert.equal(res.code, 0, explain(res));
  await kill9(n1.child);

  // Receiver up, node restarted on the same data: the notice arrives.
  const eventGrid = await startReceiver(() => 200, egPort);
  receivers.push(eventGrid);
  const n2 = await startChild(yaml);
  const notice = await waitFor(eventGrid, (q) => q.body.includes('Microsoft.Communication.RecordingFileStatusUpdated'), 'RecordingFileStatusUpdated');
  const ic = eventGrid.received.findIndex((q) => q.body.includes('Microsoft.Communication.IncomingCall'));
  assert.ok(ic >= 0 && ic < eventGrid.received.indexOf(notice), 'IncomingCall (pending too) went first: per-call order');
  assert.ok(eventGrid.validations.length >= 1 && eventGrid.validations[0].at <= eventGrid.received[0].at, 'the restarted node validated the endpoint first');
  assert.equal(notice.headers['aeg-event-type'], 'Notification');
  const [fe] = JSON.parse(notice.body) as { id: string; eventType: string; data: { recordingDurationMs: number; recordingStorageInfo: { recordingChunks: { documentId: string; contentLocation: string }[] } } }[];
  assert.equal(fe.id, noticeId, 'the Event Grid id is the outbox event id');
  const [chunk] = fe.data.recordingStorageInfo.recordingChunks;
  assert.equal(chunk.documentId, rid);
  assert.ok(chunk.contentLocation.startsWith(`${n2.http}/calling/recordings/`), chunk.contentLocation);
  assert.ok(fe.data.recordingDurationMs >= 1000 && fe.data.recordingDurationMs <= 3000, `duration ${fe.data.recordingDurationMs} ms`);
  // Exactly once per recording, however often the node started.
  await sleep(500);
  assert.equal(eventGrid.received.filter((q) => q.body.includes('RecordingFileStatusUpdated')).length, 1);

  // The file it announces is there and holds the tone.
  const wav = await api(n2.http, `/v1/recordings/${rid}/content`);
  assert.equal(wav.status, 200);
  const file = join(dir, 'got.wav');
  writeFileSync(file, Buffer.from(await wav.arrayBuffer()));
  const { rate, samples } = readWav(file);
  const at1k = goertzelPower(samples, 0, samples.length, goertzelCoefficient(1000, rate));
  const at600 = goertzelPower(samples, 0, samples.length, goertzelCoefficient(600, rate));
  assert.ok(at1k > 100 * at600, `1 kHz dominates (${at1k.toExponential(2)} vs ${at600.toExponential(2)} at 600 Hz)`);
  store = await openDatabase({ dataDir: join(dir, 'data') });
  try {
    assert.equal((await store.outbox.deliveriesOf(noticeId))[0].state, 'delivered');
  } finally {
    await store.close();
  }
  await new Promise<void>((resolve) => { n2.child.once('exit', () => resolve()); n2.child.kill('SIGTERM'); });
  console.log(`# notice delivered after kill -9 + restart: ${(samples.length / rate).toFixed(2)} s recorded, ${eventGrid.validations.length} handshake(s) after restart`);
});
