// `switchboard call <target> --say "text"`: places a test call through the API — POST
// /v1/calls, waits for the answer (polling the createCall operation), plays the text as TTS,
// hangs up — printing each step. No webhook is needed: it polls operations.
//
// It needs an application's key (--app-key, else SWITCHBOARD_API_KEY): a call belongs to an
// application, whose limits and destination policy apply. With the admin key (e.g. only the
// admin-key file is available) it stops with a readable error saying so — the admin may not
// place calls on an application's behalf.
import { parseArgs } from 'node:util';
import { CliApiError, DEFAULT_URL, apiRequest, resolveTarget, type ApiTarget } from '../api-client.ts';
import { EXIT, type Command } from '../command.ts';

const usage = [
  'Usage: switchboard call <target> [--say "text"] [--app-key <key>] [--caller-id <e164|sip-uri>] [--timeout <s>] [--json]',
  '',
  '  <target>       E.164 number (+4930…, through a trunk), SIP URI (sip:bob@host) or a registered user\'s URI',
  '  --say <text>   what to say once answered (TTS); default "This is a test call from Switchboard."',
  '  --app-key <k>  the application\'s API key; default SWITCHBOARD_API_KEY',
  '  --caller-id    caller ID to present; default the trunk\'s rules',
  '  --timeout <s>  give up after this many seconds in total; default 90',
  '  --json         print the call as JSON at the end',
  '',
  `Talks to SWITCHBOARD_URL (default ${DEFAULT_URL}). Needs an application's key, not the admin key.`,
].join('\n');

function participant(s: string): Record<string, string> {
  if (/^\+[1-9]\d{1,14}$/.test(s)) return { kind: 'phone', number: s };
  if (/^sips?:/.test(s)) return { kind: 'sip', uri: s };
  throw new CliApiError(`usage: "${s}" is neither an E.164 number (+…) nor a SIP URI (sip:…)`);
}

interface OpInfo { id: string; state: string; result?: { code: number; message: string } }

async function waitOp(target: ApiTarget, id: string, deadline: number): Promise<OpInfo> {
  for (;;) {
    const op = (await apiRequest(target, 'GET', `/v1/operations/${encodeURIComponent(id)}`)) as OpInfo;
    if (op.state !== 'running') return op;
    if (Date.now() > deadline) throw new CliApiError(`timed out waiting for operation ${id}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export const callCommand: Command = {
  summary: 'place a test call that says something and hangs up',
  usage,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args, strict: true, allowPositionals: true,
      options: {
        say: { type: 'string' }, 'app-key': { type: 'string' }, 'caller-id': { type: 'string' }, timeout: { type: 'string' },
        json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) { io.stdout(`${usage}\n`); return EXIT.OK; }
    const fail = (msg: string, code: number = EXIT.FAILURE): number => {
      io.stderr(`switchboard call: ${msg}\n`);
      return code;
    };
    if (positionals.length !== 1) return fail(`needs exactly one <target>\n\n${usage}`, EXIT.USAGE);
    const timeoutS = values.timeout === undefined ? 90 : Number(values.timeout);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) return fail(`--timeout must be a positive number of seconds, got "${values.timeout}"`, EXIT.USAGE);
    const deadline = Date.now() + timeoutS * 1000;
    const text = values.say ?? 'This is a test call from Switchboard.';
    const step = (s: string): void => { if (!values.json) io.stdout(`${s}\n`); };
    try {
      const body: Record<string, unknown> = { target: participant(positionals[0]), ringTimeoutMs: Math.min(300_000, Math.max(1000, timeoutS * 1000)) };
      if (values['caller-id']) body.callerId = participant(values['caller-id']);
      const env = values['app-key'] ? { ...io.env, SWITCHBOARD_API_KEY: values['app-key'] } : io.env;
      if (!env.SWITCHBOARD_API_KEY?.trim()) {
        return fail('needs an application\'s API key: pass --app-key <key> or set SWITCHBOARD_API_KEY (the admin key cannot place calls)', EXIT.USAGE);
      }
      const target = resolveTarget(env);
      step(`calling ${positionals[0]} …`);
      let created: { call: { id: string }; operation: OpInfo };
      try {
        created = (await apiRequest(target, 'POST', '/v1/calls', body)) as typeof created;
      } catch (err) {
        if (err instanceof CliApiError && err.code === 'VALIDATION_FAILED' && /application principal|use its key/.test(err.message)) {
          return fail('this is the admin key; a call belongs to an application: pass its key with --app-key');
        }
        throw err;
      }
      const callId = created.call.id;
      step(`call ${callId}: ringing`);
      const dial = await waitOp(target, created.operation.id, deadline);
      if (dial.state !== 'completed') return fail(`not answered: ${dial.result?.message ?? dial.state}`);
      step('answered; speaking …');
      const play = (await apiRequest(target, 'POST', `/v1/calls/${callId}/play`, { sources: [{ kind: 'tts', text }] })) as OpInfo;
      const played = await waitOp(target, play.id, deadline);
      step(played.state === 'completed' ? 'said it' : `playing failed: ${played.result?.message ?? played.state}`);
      await apiRequest(target, 'POST', `/v1/calls/${callId}/hangup`, { forEveryone: true }).catch((err: unknown) => {
        if (!(err instanceof CliApiError && err.code === 'CALL_INVALID_STATE')) throw err; // already ended by the callee
      });
      let call: { state: string; endReason?: string } = { state: '' };
      while (Date.now() < deadline) {
        call = (await apiRequest(target, 'GET', `/v1/calls/${callId}`)) as typeof call;
        if (call.state === 'ended') break;
        await new Promise((r) => setTimeout(r, 200));
      }
      if (values.json) io.stdout(`${JSON.stringify(call, null, 2)}\n`);
      else step(`hung up (${call.endReason ?? call.state})`);
      return played.state === 'completed' ? EXIT.OK : EXIT.FAILURE;
    } catch (err) {
      if (err instanceof CliApiError) return fail(err.message, /^usage:/.test(err.message) ? EXIT.USAGE : EXIT.FAILURE);
      throw err;
    }
  },
};
