// cancelAllMediaOperations: stops every running media operation of the call (play,
// recognize, recordResponse — each ends with its own '.cancelled' event, and cancelling each
// stops its media). It does not call MediaEndpoint.stopAll(), which would stop the call
// recording too: call recording is not a media operation and keeps going.
import type { OperationDefinition } from './operation.ts';
import { success } from './operation-result.ts';
import { Check } from './validate.ts';

export const cancelAllMediaOperations: OperationDefinition<Record<string, never>> = {
  name: 'cancelAllMediaOperations',
  eventPrefix: 'cancelAllMediaOperations',
  events: 'all',
  validate(params) {
    const c = new Check(params);
    c.only([]);
    c.done();
    return {};
  },
  async start(ctx) {
    const ops = [...ctx.call.operations].filter((o) => o.media);
    await Promise.allSettled(ops.map((o) => o.cancel('cancelled')));
    return success({ cancelled: ops.map((o) => o.id) });
  },
};
