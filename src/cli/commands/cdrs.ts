// `switchboard cdrs list|get`: call detail records (one per call, one per leg) of the key's
// application; --kind call|leg and --call-id narrow the list.
import { readCommand } from './calls.ts';

export const cdrsCommand = readCommand({
  name: 'cdrs',
  path: '/v1/cdrs',
  summary: 'list and show call detail records',
  listOptions: { kind: { type: 'string' }, 'call-id': { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, cursor: { type: 'string' } },
  columns: [
    ['ID', (c) => (c.kind === 'leg' ? c.legId : c.callId)], ['KIND', (c) => c.kind], ['CALL', (c) => c.callId],
    ['END REASON', (c) => c.endReason], ['BY', (c) => c.endedBy], ['SIP', (c) => c.sipStatus], ['TALK MS', (c) => c.talkMs],
  ],
});
