// Runs baresip (Debian package) headless with a throw-away config: it can register with
// digest credentials, dial at start, send a WAV as its microphone and record what it hears.
// Bounded by baresip's own -t and a kill timeout.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BaresipOptions {
  /** Local SIP listen port (pick a free one). */
  port: number;
  /** Account line, e.g. `<sip:alice@127.0.0.1:5060;transport=udp>;auth_pass=secret;regint=600`. */
  account: string;
  /** Commands to run at start (-e), e.g. `/dial sip:answer@127.0.0.1:5060`. */
  commands?: string[];
  /** Quit after this many seconds (-t); default 6. */
  seconds?: number;
  /** 8 kHz mono WAV used as microphone; default silence. */
  sourceWav?: string;
  /** RTP port range; default 38000-38100. */
  rtpPorts?: string;
}

export interface BaresipResult {
  code: number | null;
  output: string;
  dir: string;
  /** WAV files sndfile.so wrote (what was sent and received). */
  recordings: string[];
}

export function baresipAvailable(): boolean {
  return spawnSync('baresip', ['-h'], { encoding: 'utf8' }).error === undefined;
}

export function runBaresip(o: BaresipOptions): Promise<BaresipResult> {
  const dir = mkdtempSync(join(tmpdir(), 'baresip-'));
  const rec = join(dir, 'rec');
  spawnSync('mkdir', ['-p', rec]);
  writeFileSync(join(dir, 'config'), [
    `sip_listen 127.0.0.1:${o.port}`,
    'audio_player aufile,/dev/null',
    o.sourceWav ? `audio_source aufile,${o.sourceWav}` : 'audio_source ausine,0',
    'audio_alert aufile,/dev/null',
    `rtp_ports ${o.rtpPorts ?? '38000-38100'}`,
    'module_path /usr/lib/baresip/modules',
    'module g711.so',
    'module aufile.so',
    'module ausine.so',
    'module sndfile.so',
    `snd_path ${rec}`,
    'module_app account.so',
    'module_app menu.so',
    '',
  ].join('\n'));
  writeFileSync(join(dir, 'accounts'), `${o.account}\n`);
  const args = ['-f', dir, '-t', String(o.seconds ?? 6)];
  for (const c of o.commands ?? []) args.push('-e', c);
  return new Promise((resolve) => {
    const child = spawn('baresip', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { if (output.length < 1e6) output += d; });
    child.stderr.on('data', (d) => { if (output.length < 1e6) output += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), ((o.seconds ?? 6) + 5) * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const recordings = readdirSync(rec).map((f) => join(rec, f));
      resolve({ code, output, dir, recordings });
    });
  });
}
