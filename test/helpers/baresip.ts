// Runs baresip (Debian package) headless with a throw-away config: it can register with
// digest credentials, dial at start (also over TLS, with extraConfig for sip_cafile), send a WAV as
// its microphone and record what it hears.
// Bounded by baresip's own -t and a kill timeout.
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import net, { type AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BaresipOptions {
  /** Local SIP listen port for UDP and TCP; baresip also listens TLS on port+1 (freeBaresipPort picks both). */
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
  /** Extra config lines appended after the defaults (e.g. `sip_cafile /path/ca.pem`); default none. */
  extraConfig?: string[];
  /** Pass -s so baresip prints every SIP message it sends and receives; default false. */
  trace?: boolean;
  /** Audio codec modules to load, in preference order (e.g. ['opus.so'] to offer only Opus); default ['g711.so']. */
  codecModules?: string[];
  /** Microphone = ausine at this frequency (48 kHz source, fits Opus) when no sourceWav; default 0 (silence). */
  sineHz?: number;
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

const tcpBindable = (port: number) => new Promise<boolean>((res) => {
  const s = net.createServer();
  s.once('error', () => res(false));
  s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
});

/**
 * A port p for BaresipOptions.port with UDP p, TCP p and TCP p+1 free on 127.0.0.1: baresip 1.0.0
 * binds all three (TLS on sip_listen's port + 1) and quits with "SIP/TLS transport failed:
 * Address already in use" if any is taken. Still a check-then-use race, only a narrower one.
 */
export async function freeBaresipPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const s = createSocket('udp4');
    const p = await new Promise<number>((res, rej) => {
      s.once('error', rej);
      s.bind(0, '127.0.0.1', () => res(s.address().port));
    });
    await new Promise<void>((r) => s.close(() => r()));
    if (p < 65535 && await tcpBindable(p) && await tcpBindable(p + 1)) return p;
  }
  throw new Error('no free port for baresip (UDP+TCP p, TCP p+1)');
}

export function runBaresip(o: BaresipOptions): Promise<BaresipResult> {
  const dir = mkdtempSync(join(tmpdir(), 'baresip-'));
  const rec = join(dir, 'rec');
  spawnSync('mkdir', ['-p', rec]);
  writeFileSync(join(dir, 'config'), [
    `sip_listen 127.0.0.1:${o.port}`,
    'audio_player aufile,/dev/null',
    o.sourceWav ? `audio_source aufile,${o.sourceWav}` : `audio_source ausine,${o.sineHz ?? 0}`,
    'audio_alert aufile,/dev/null',
    `rtp_ports ${o.rtpPorts ?? '38000-38100'}`,
    'module_path /usr/lib/baresip/modules',
    ...(o.codecModules ?? ['g711.so']).map((m) => `module ${m}`),
    'module aufile.so',
    'module ausine.so',
    'module sndfile.so',
    `snd_path ${rec}`,
    'module_app account.so',
    'module_app menu.so',
    ...(o.extraConfig ?? []),
    '',
  ].join('\n'));
  writeFileSync(join(dir, 'accounts'), `${o.account}\n`);
  const args = ['-f', dir, '-t', String(o.seconds ?? 6), ...(o.trace ? ['-s'] : [])];
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

/** A free TCP port on loopback (for baresip's ctrl_tcp). */
export function freeTcpPort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address() as AddressInfo; s.close(() => res(port)); });
  });
}

/** One ctrl_tcp command (a netstring holding JSON, baresip 1.0.0 ctrl_tcp.c); resolves with its reply. */
export async function baresipCommand(port: number, command: string, params: string): Promise<string> {
  const json = JSON.stringify({ command, params, token: 't1' });
  for (let i = 0; ; i++) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1');
        let got = '';
        const t = setTimeout(() => { s.destroy(); resolve(got); }, 2000);
        s.once('error', (err) => { clearTimeout(t); reject(err); });
        s.on('data', (d) => { got += d; if (got.includes('"response"')) { clearTimeout(t); s.end(); resolve(got); } });
        s.write(`${Buffer.byteLength(json)}:${json},`);
      });
    } catch (err) {
      if (i >= 20) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
