// `switchboard recordings list|get|download|delete`: recordings of the key's application
// (metadata from the API; download writes the audio with the key, not a token).
import { CliApiError, apiRequest } from '../api-client.ts';
import { EXIT } from '../command.ts';
import { download, readCommand } from './calls.ts';

export const recordingsCommand = readCommand({
  name: 'recordings',
  path: '/v1/recordings',
  summary: 'list, show, download and delete recordings',
  listOptions: { 'call-id': { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, cursor: { type: 'string' } },
  verbOptions: { output: { type: 'string', short: 'o' } },
  columns: [
    ['ID', (r) => r.id], ['CALL', (r) => r.callId], ['STATE', (r) => r.state], ['FORMAT', (r) => r.format],
    ['DURATION MS', (r) => r.durationMs], ['BYTES', (r) => r.sizeBytes],
  ],
  verbs: {
    download: {
      usage: '<id> [-o <file>]   (default file: <id>.wav)',
      async run(target, args, v, io) {
        if (args.length !== 1) throw new CliApiError('usage: download needs exactly one <id>');
        const file = typeof v.output === 'string' ? v.output : `${args[0]}.wav`;
        const n = await download(target, `/v1/recordings/${encodeURIComponent(args[0])}/content`, file);
        io.stdout(`wrote ${n} bytes to ${file}\n`);
        return EXIT.OK;
      },
    },
    delete: {
      usage: '<id>',
      async run(target, args, _v, io, json) {
        if (args.length !== 1) throw new CliApiError('usage: delete needs exactly one <id>');
        await apiRequest(target, 'DELETE', `/v1/recordings/${encodeURIComponent(args[0])}`);
        if (!json) io.stdout(`deleted ${args[0]}\n`);
        return EXIT.OK;
      },
    },
  },
});
