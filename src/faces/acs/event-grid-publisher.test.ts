// EventGridPublisher against a real HTTP endpoint: the validation handshake precedes the first
// event; an endpoint that does not echo the code gets no events (withheld, reported) until it
// answers a later handshake; a validated endpoint is not asked again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from '../../../test/helpers/webhook-receiver.ts';
import { EventGridPublisher } from './incoming-call.ts';

test('unvalidated endpoint: events withheld and reported; once it answers the handshake, events flow and it is not asked again', async (t) => {
  const r = await startReceiver();
  t.after(() => r.close());
  const problems: string[] = [];
  const p = new EventGridPublisher({ onProblem: (_url, why) => problems.push(why), tries: 1 });
  r.answerValidation = false;
  assert.equal(await p.publish(r.url, [{ eventType: 'X', n: 1 }]), 0);
  assert.equal(r.received.length, 0, 'nothing sent');
  assert.equal(r.validations.length, 1);
  assert.deepEqual({ ...p.status(r.url), lastError: undefined }, { validated: false, withheld: 1, lastError: undefined });
  assert.match(problems[0], /withheld/);

  r.answerValidation = true;
  assert.equal(await p.publish(r.url, [{ eventType: 'X', n: 2 }]), 200);
  assert.equal(await p.publish(r.url, [{ eventType: 'X', n: 3 }]), 200);
  assert.equal(r.validations.length, 2, 'validated once, then trusted');
  assert.deepEqual(r.received.map((q) => (JSON.parse(q.body) as { n: number }[])[0].n), [2, 3]);
  const [v] = JSON.parse(r.validations[1].body) as { eventType: string; data: { validationCode: string; validationUrl: string } }[];
  assert.equal(v.eventType, 'Microsoft.EventGrid.SubscriptionValidationEvent');
  assert.ok(v.data.validationCode.length > 10);
  assert.equal(p.status(r.url)?.validated, true);
  assert.equal(p.status(r.url)?.lastError, undefined);
});
