// Runs SIPp (Debian package sip-tester) against a Switchboard under test and reads its
// verdict from the exit code and the -trace_stat CSV. Every run is bounded by -m and a
// timeout so a test can never hang on a peer.
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, existsSync, symlinkSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const SIPP_DIR = resolve(new URL('../sipp', import.meta.url).pathname);

export interface SippOptions {
  /** Scenario file under test/sipp/ (e.g. 'uac-invite-bye.xml') or a built-in via `-sn NAME`. */
  scenario?: string;
  builtin?: string;
  /** host:port of the peer (omit for a UAS that only listens). */
  target?: string;
  /** Request-URI user (-s); default 'answer'. */
  service?: string;
  /** Total calls (-m); default 1. */
  calls?: number;
  /** Calls per second (-r); default 10. */
  rate?: number;
  /** Max concurrent calls (-l). */
  limit?: number;
  /** 'u1' (UDP, one socket), 'un' (UDP, socket per call), 't1' (TCP) …; default u1. */
  transport?: string;
  /** Local IP (-i); default 127.0.0.1. */
  localIp?: string;
  /** Local SIP port (-p); default 0 → SIPp picks. */
  localPort?: number;
  /** Extra arguments. */
  args?: string[];
  /** Kill SIPp after this many ms; default 20000. */
  timeoutMs?: number;
  /** Files linked into SIPp's working directory (name → path), e.g. a raw µ-law file for rtp_stream. */
  cwdFiles?: Record<string, string>;
}

export interface SippResult {
  code: number | null;
  successful: number;
  failed: number;
  stdout: string;
  stderr: string;
  /** Contents of SIPp's error log, if any. */
  errors: string;
  /** Contents of SIPp's message trace (-trace_msg), for diagnosing a failure. */
  messages: string;
  dir: string;
}

export function sippAvailable(): boolean {
  return spawnSync('sipp', ['-v'], { encoding: 'utf8' }).status !== null;
}

function argsFor(o: SippOptions, dir: string): string[] {
  const a: string[] = [];
  if (o.scenario) a.push('-sf', join(SIPP_DIR, o.scenario));
  else if (o.builtin) a.push('-sn', o.builtin);
  a.push('-s', o.service ?? 'answer');
  a.push('-m', String(o.calls ?? 1), '-r', String(o.rate ?? 10));
  if (o.limit) a.push('-l', String(o.limit));
  a.push('-t', o.transport ?? 'u1', '-i', o.localIp ?? '127.0.0.1');
  a.push('-p', String(o.localPort));
  a.push('-nostdin', '-trace_stat', '-stf', join(dir, 'stat.csv'), '-fd', '1', '-trace_err', '-error_file', join(dir, 'errors.log'),
    '-trace_msg', '-message_file', join(dir, 'messages.log'), '-timeout_error', '-max_recv_loops', '1000');
  a.push(...(o.args ?? []));
  if (o.target) a.push(o.target);
  return a;
}

function readStats(dir: string): { successful: number; failed: number } {
  const f = join(dir, 'stat.csv');
  if (!existsSync(f)) return { successful: 0, failed: 0 };
  const lines = readFileSync(f, 'utf8').trim().split('\n');
  const head = lines[0].split(';');
  const last = lines[lines.length - 1].split(';');
  const col = (name: string) => Number(last[head.indexOf(name)] ?? 0);
  return { successful: col('SuccessfulCall(C)'), failed: col('FailedCall(C)') };
}

/** Start SIPp; resolves when it exits (or is killed at the timeout). */
export async function runSipp(o: SippOptions): Promise<SippResult> {
  // SIPp's default local port is 5060; pick a free one so runs never collide.
  if (!o.localPort) o = { ...o, localPort: await freeUdpPort(o.localIp ?? '127.0.0.1') };
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  // Scenarios refer to SIPp's bundled captures as pcap/NAME.pcap relative to the cwd.
  if (existsSync('/usr/share/sip-tester')) symlinkSync('/usr/share/sip-tester', join(dir, 'pcap'));
  for (const [name, path] of Object.entries(o.cwdFiles ?? {})) symlinkSync(path, join(dir, name));
  const args = argsFor(o, dir);
  return new Promise((resolvePromise) => {
    const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { if (stdout.length < 1e6) stdout += d; });
    child.stderr.on('data', (d) => { if (stderr.length < 1e6) stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 20000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const read = (prefix: string) => readdirSync(dir).filter((f) => f.startsWith(prefix))
        .map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
      resolvePromise({ code, ...readStats(dir), stdout, stderr, errors: read('errors'), messages: read('messages'), dir });
    });
  });
}

/** A UDP port that is free right now on the given address. */
export function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((res, rej) => {
    const s = createSocket('udp4');
    s.once('error', rej);
    s.bind(0, host, () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** A one-line explanation of a failed run for assertion messages. */
export function explain(r: SippResult): string {
  return `sipp exit ${r.code}, ok ${r.successful}, failed ${r.failed}\n${r.stderr.slice(-2000)}\n${r.errors.slice(-3000)}\n--- messages ---\n${r.messages.slice(-6000)}`;
}
