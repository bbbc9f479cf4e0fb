// sendDtmf: sends digits to a leg as RFC 4733 telephone-events (through its MediaEndpoint).
import type { OperationDefinition } from './operation.ts';
import { SUBCODE, failure, success } from './operation-result.ts';
import { followMedia, targetLegs } from './media.ts';
import { Check, DTMF_RE } from './validate.ts';

export const sendDtmf: OperationDefinition<{ tones: string; durationMs: number; legId?: string }> = {
  name: 'sendDtmf',
  eventPrefix: 'sendDtmf',
  events: 'all',
  validate(params) {
    const c = new Check(params);
    c.only(['tones', 'durationMs', 'legId']);
    const tones = c.str('tones', { required: true, re: DTMF_RE, max: 32 }) ?? '';
    const durationMs = c.int('durationMs', 100, 40, 2000);
    const legId = c.str('legId');
    c.done();
    return { tones, durationMs, ...(legId !== undefined ? { legId } : {}) };
  },
  async start(ctx, p) {
    const [leg] = targetLegs(ctx, p.legId, false);
    const r = await followMedia(ctx, await leg.media.sendDtmf(p.tones, { durationMs: p.durationMs }));
    return r.reason === 'completed' ? success({ tones: p.tones }) : failure(500, SUBCODE.MEDIA_FAILED, `sending tones failed: ${r.error ?? r.reason}`);
  },
};
