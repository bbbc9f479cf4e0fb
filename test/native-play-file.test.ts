// 'file' play sources come from the node's media directory (<dataDir>/media, docs/prompts.md):
// a 1 kHz WAV made with sox and put there is played through the native API to a SIPp caller
// whose audio is this test's UDP socket — what arrives is a 1 kHz tone (Goertzel share). A
// missing file fails the operation (play.failed), and paths that would leave the directory
// (absolute, '..') are refused before anything runs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';
import { startReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';
import { RtpPeer, toneShare, wait } from '../src/media/worker/test-rtp-peer.ts';
import { until } from './helpers/until.ts';

const NUMBER = '+4930777888';
const KEY = 'native-play-file-key-0123456789abc';
const haveSox = spawnSync('which', ['sox']).status === 0;

interface Event { type: string; callId?: string; data: Record<string, any> }

describe('native API: play a file from the media directory to a SIPp caller', { skip: (!sippAvailable() || !haveSox) && 'sipp or sox missing', timeout: 60_000 }, () => {
  let node: TestNode;
  let hooks: WebhookReceiver;
  const events = (): Event[] => hooks.received.map((q) => JSON.parse(q.body) as Event);
  const event = (type: string, callId: string, nth = 0): Promise<Event> =>
    until(() => events().filter((e) => e.type === type && e.callId === callId)[nth], `webhook ${type}; got ${events().map((e) => e.type).join(', ')}`, 15_000);
  const api = async (path: string, body: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${node.http}${path}`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: await res.json() };
  };

  before(async () => {
    hooks = await startReceiver();
    node = await startNode({ yaml: `applications:\n  - name: files\n    apiKeys: ["${KEY}"]\n    callbackUrl: "${hooks.url}"\n    numbers:\n      - "${NUMBER}"\n` });
    const mediaDir = join(node.config.dataDir, 'media');
    assert.ok(existsSync(mediaDir), 'the node creates <dataDir>/media');
    mkdirSync(join(mediaDir, 'prompts'), { recursive: true });
    const made = spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', join(mediaDir, 'prompts', 'tone.wav'), 'synth', '1.5', 'sine', '1000', 'vol', '0.5']);
    assert.equal(made.status, 0, String(made.stderr));
  });
  after(async () => {
    await node?.stop();
    await hooks?.close();
    if (node) rmSync(node.dir, { recursive: true, force: true });
  });

  test('prompts/tone.wav is heard as 1 kHz; a missing file fails; paths outside the directory are refused', { timeout: 50_000 }, async () => {
    const audio = await RtpPeer.open();
    const sipp = runSipp({ scenario: 'core-uac-rtp-port-wait-bye.xml', target: node.sip, service: NUMBER, args: ['-set', 'rtpport', String(audio.port), '-mp', String(await freeUdpPort())], timeoutMs: 45_000 });
    try {
      const incoming = await until(() => events().find((e) => e.type === 'call.incoming'), 'call.incoming', 15_000)
        .catch(async (e: Error) => { throw new Error(`${e.message}\n${explain(await sipp)}`); });
      const callId = incoming.callId!;
      assert.equal((await api(`/v1/calls/${callId}/answer`, {})).status, 202);
      await event('call.answered', callId);

      for (const path of ['/etc/passwd', '../data.db', 'prompts/../../x.wav']) {
        const r = await api(`/v1/calls/${callId}/play`, { sources: [{ kind: 'file', path }] });
        assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.json)}`);
        assert.equal(r.json.error.code, 'VALIDATION_FAILED');
      }

      await wait(300);
      const from = audio.decoded().length;
      const play = await api(`/v1/calls/${callId}/play`, { sources: [{ kind: 'file', path: 'prompts/tone.wav' }] });
      assert.equal(play.status, 202, JSON.stringify(play.json));
      await event('play.completed', callId);
      const heard = audio.decoded().subarray(from);
      assert.ok(heard.length >= 8000, `received ${heard.length} samples while the prompt played`);
      // The loudest second of what arrived is the prompt: 1 kHz dominates it.
      let best = 0;
      for (let s = 0; s + 8000 <= heard.length; s += 800) best = Math.max(best, toneShare(heard.subarray(s, s + 8000), 8000, 1000));
      assert.ok(best > 0.8, `1 kHz share of the prompt's audio ${best.toFixed(3)}`);

      const missing = await api(`/v1/calls/${callId}/play`, { sources: [{ kind: 'file', path: 'prompts/nope.wav' }] });
      assert.equal(missing.status, 202);
      const failed = await event('play.failed', callId);
      assert.match(JSON.stringify(failed.data.result), /nope\.wav|not found|NOT_FOUND/i);
      await api(`/v1/calls/${callId}/hangup`, {});
    } finally {
      audio.close();
    }
    const r = await sipp;
    assert.equal(r.code, 0, explain(r));
  });
});
