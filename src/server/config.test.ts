// Configuration: defaults, YAML vs environment precedence, and readable validation errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config.ts';
import { detectPublicHost } from './public-host.ts';
import { VERSION } from './version.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const guess = { detectPublicHost: () => '192.0.2.10' };

function expectConfigError(fn: () => unknown, key: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.key, key);
    assert.match(err.message, message);
    assert.ok(err.message.startsWith(`${key}: `), err.message);
    return true;
  });
}

test('defaults when there is no file and no environment', (t) => {
  const cwd = tempDir(t);
  const c = loadConfig({}, { cwd, ...guess });
  assert.deepEqual(c, {
    bind: '0.0.0.0',
    publicHost: '192.0.2.10',
    dataDir: join(cwd, 'data'),
    http: { port: 8080 },
    sip: {
      port: 5060,
      wsPort: 5066,
      trusted: ['127.0.0.0/8', '::1/128'],
      realm: '192.0.2.10',
      userAgent: `Switchboard/${VERSION}`,
      flood: { requestsPerSecond: 200, burst: 400, banMs: 60000, maxConnectionsPerSource: 64 },
      users: [],
      digestAlgorithms: ['SHA-256', 'MD5'],
    },
    rtp: { portMin: 20000, portMax: 29999 },
    log: { level: 'info' },
    shutdown: { drainTimeoutMs: 30000 },
    metrics: { public: true },
    speech: { tts: { provider: 'local' }, transcription: { provider: 'local' } },
  });
});

test('./switchboard.yaml is read when present; environment variables win over it', (t) => {
  const cwd = tempDir(t);
  writeFileSync(join(cwd, 'cert.pem'), 'x');
  writeFileSync(join(cwd, 'key.pem'), 'x');
  writeFileSync(join(cwd, 'switchboard.yaml'), `
http: { port: 9000 }
sip:
  port: 5070
  wsPort: 5080
  tls: { cert: cert.pem, key: key.pem }
  trusted: [10.0.0.0/8]
  realm: pbx.example.com
  userAgent: MyBox
  flood: { requestsPerSecond: 50, scannerUserAgents: [evil] }
rtp: { ports: 30000-30999 }
publicHost: sip.example.com
dataDir: /var/lib/sb
log: { level: debug }
shutdown: { drainTimeoutMs: 5000 }
metrics: { public: false }
`);
  const fromYaml = loadConfig({}, { cwd, ...guess });
  assert.equal(fromYaml.configFile, join(cwd, 'switchboard.yaml'));
  assert.equal(fromYaml.http.port, 9000);
  assert.equal(fromYaml.sip.port, 5070);
  assert.equal(fromYaml.sip.wsPort, 5080);
  assert.deepEqual(fromYaml.sip.tls, { port: 5061, cert: join(cwd, 'cert.pem'), key: join(cwd, 'key.pem') });
  assert.deepEqual(fromYaml.sip.trusted, ['10.0.0.0/8']);
  assert.equal(fromYaml.sip.realm, 'pbx.example.com');
  assert.equal(fromYaml.sip.userAgent, 'MyBox');
  assert.deepEqual(fromYaml.sip.flood, {
    requestsPerSecond: 50, burst: 400, banMs: 60000, maxConnectionsPerSource: 64, scannerUserAgents: ['evil'],
  });
  assert.deepEqual(fromYaml.rtp, { portMin: 30000, portMax: 30999 });
  assert.equal(fromYaml.publicHost, 'sip.example.com');
  assert.equal(fromYaml.dataDir, '/var/lib/sb');
  assert.equal(fromYaml.log.level, 'debug');
  assert.equal(fromYaml.shutdown.drainTimeoutMs, 5000);
  assert.equal(fromYaml.metrics.public, false);

  const env = {
    SWITCHBOARD_HTTP_PORT: '0', SWITCHBOARD_SIP_PORT: '0', SWITCHBOARD_SIP_WS_PORT: '7066',
    SWITCHBOARD_SIP_TLS_PORT: '7061', SWITCHBOARD_RTP_PORTS: '40000-40099', SWITCHBOARD_PUBLIC_HOST: '203.0.113.5',
    SWITCHBOARD_DATA_DIR: 'state', DATABASE_URL: 'postgres://u@h/db', SWITCHBOARD_ADMIN_KEY: 'k'.repeat(32),
    SWITCHBOARD_LOG_LEVEL: 'WARN', SWITCHBOARD_BIND: '127.0.0.1',
  };
  const c = loadConfig(env, { cwd, ...guess });
  assert.equal(c.http.port, 0);
  assert.equal(c.sip.port, 0);
  assert.equal(c.sip.wsPort, 7066);
  assert.equal(c.sip.tls?.port, 7061);
  assert.deepEqual(c.rtp, { portMin: 40000, portMax: 40099 });
  assert.equal(c.publicHost, '203.0.113.5');
  assert.equal(c.sip.realm, 'pbx.example.com', 'YAML-only settings stay');
  assert.equal(c.dataDir, join(cwd, 'state'));
  assert.equal(c.databaseUrl, 'postgres://u@h/db');
  assert.equal(c.adminKey, 'k'.repeat(32));
  assert.equal(c.log.level, 'warn');
  assert.equal(c.bind, '127.0.0.1');
});

test('SWITCHBOARD_CONFIG names the file; a missing named file is an error', (t) => {
  const cwd = tempDir(t);
  writeFileSync(join(cwd, 'other.yml'), 'http:\n  port: 1234\n');
  assert.equal(loadConfig({ SWITCHBOARD_CONFIG: 'other.yml' }, { cwd, ...guess }).http.port, 1234);
  expectConfigError(() => loadConfig({ SWITCHBOARD_CONFIG: 'nope.yml' }, { cwd, ...guess }), 'SWITCHBOARD_CONFIG', /does not exist/);
});

test('empty environment values count as unset', (t) => {
  const cwd = tempDir(t);
  const c = loadConfig({ SWITCHBOARD_HTTP_PORT: '', SWITCHBOARD_PUBLIC_HOST: '  ' }, { cwd, ...guess });
  assert.equal(c.http.port, 8080);
  assert.equal(c.publicHost, '192.0.2.10');
});

test('validation errors name the key', (t) => {
  const cwd = tempDir(t);
  const load = (env: Record<string, string>) => () => loadConfig(env, { cwd, ...guess });
  expectConfigError(load({ SWITCHBOARD_HTTP_PORT: 'http' }), 'SWITCHBOARD_HTTP_PORT', /port number/);
  expectConfigError(load({ SWITCHBOARD_SIP_PORT: '65536' }), 'SWITCHBOARD_SIP_PORT', /port number/);
  expectConfigError(load({ SWITCHBOARD_SIP_WS_PORT: '-1' }), 'SWITCHBOARD_SIP_WS_PORT', /port number/);
  expectConfigError(load({ SWITCHBOARD_SIP_PORT: '5.5' }), 'SWITCHBOARD_SIP_PORT', /port number/);
  expectConfigError(load({ SWITCHBOARD_RTP_PORTS: '20001-29999' }), 'SWITCHBOARD_RTP_PORTS', /even/);
  expectConfigError(load({ SWITCHBOARD_RTP_PORTS: '30000-20000' }), 'SWITCHBOARD_RTP_PORTS', /below/);
  expectConfigError(load({ SWITCHBOARD_RTP_PORTS: '20000' }), 'SWITCHBOARD_RTP_PORTS', /range/);
  expectConfigError(load({ SWITCHBOARD_RTP_PORTS: '0-100' }), 'SWITCHBOARD_RTP_PORTS', /1\.\.65535/);
  expectConfigError(load({ SWITCHBOARD_LOG_LEVEL: 'loud' }), 'SWITCHBOARD_LOG_LEVEL', /one of/);
  expectConfigError(load({ SWITCHBOARD_BIND: 'localhost:80' }), 'SWITCHBOARD_BIND', /IP address/);
  expectConfigError(load({ SWITCHBOARD_PUBLIC_HOST: 'http://x' }), 'SWITCHBOARD_PUBLIC_HOST', /no scheme/);
  expectConfigError(load({ SWITCHBOARD_ADMIN_KEY: 'short' }), 'SWITCHBOARD_ADMIN_KEY', /16 characters/);
  expectConfigError(load({ SWITCHBOARD_SIP_TLS_CERT: 'c.pem' }), 'SWITCHBOARD_SIP_TLS_KEY', /no key/);
  expectConfigError(load({ SWITCHBOARD_SIP_TLS_CERT: 'c.pem', SWITCHBOARD_SIP_TLS_KEY: 'k.pem' }), 'SWITCHBOARD_SIP_TLS_CERT', /does not exist/);
  expectConfigError(load({ SWITCHBOARD_HTTP_PORT: '5060' }), 'SWITCHBOARD_SIP_PORT', /already used by SWITCHBOARD_HTTP_PORT/);
  // Port 0 twice is fine: each listener gets its own free port.
  assert.equal(loadConfig({ SWITCHBOARD_HTTP_PORT: '0', SWITCHBOARD_SIP_PORT: '0', SWITCHBOARD_SIP_WS_PORT: '0' }, { cwd, ...guess }).sip.port, 0);
});

test('YAML errors name the YAML path: unknown keys, wrong types, bad CIDRs', (t) => {
  const cwd = tempDir(t);
  const withYaml = (text: string) => () => {
    writeFileSync(join(cwd, 'switchboard.yaml'), text);
    return loadConfig({}, { cwd, ...guess });
  };
  expectConfigError(withYaml('sip:\n  prot: 5060\n'), 'sip.prot', /unknown setting/);
  expectConfigError(withYaml('htp:\n  port: 1\n'), 'htp', /unknown setting/);
  expectConfigError(withYaml('sip: 5060\n'), 'sip', /mapping/);
  expectConfigError(withYaml('sip:\n  port: [1]\n'), 'sip.port', /port number/);
  expectConfigError(withYaml('sip:\n  trusted: [10.0.0.0/33]\n'), 'sip.trusted', /CIDR/);
  expectConfigError(withYaml('sip:\n  trusted: 10.0.0.0/8\n'), 'sip.trusted', /list of strings/);
  expectConfigError(withYaml('metrics:\n  public: maybe\n'), 'metrics.public', /true or false/);
  expectConfigError(withYaml('shutdown:\n  drainTimeoutMs: -5\n'), 'shutdown.drainTimeoutMs', /integer/);
  expectConfigError(withYaml('sip:\n  flood:\n    burst: 0\n'), 'sip.flood.burst', /positive/);
  expectConfigError(withYaml('rtp:\n  ports: 20000-20000\n'), 'rtp.ports', /below/);
  expectConfigError(withYaml('- a\n- b\n'), 'SWITCHBOARD_CONFIG', /mapping/);
  expectConfigError(withYaml('sip: [\n'), 'SWITCHBOARD_CONFIG', /cannot read/);
  // An empty file is just "no settings".
  assert.equal(withYaml('')().http.port, 8080);
});

test('public host detection takes the first non-internal IPv4, else loopback', () => {
  const lo = { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '', internal: true, cidr: null } as const;
  const v6 = { address: 'fe80::1', netmask: 'ffff::', family: 'IPv6', mac: '', internal: false, cidr: null, scopeid: 2 } as const;
  const eth = { address: '10.1.2.3', netmask: '255.0.0.0', family: 'IPv4', mac: '', internal: false, cidr: null } as const;
  assert.equal(detectPublicHost({ lo: [lo], eth0: [v6, eth] }), '10.1.2.3');
  assert.equal(detectPublicHost({ lo: [lo], eth0: [v6] }), '127.0.0.1');
  assert.equal(detectPublicHost({}), '127.0.0.1');
});

test('docs/configuration.md documents every environment variable and YAML key', () => {
  const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  const source = readFileSync(new URL('./config.ts', import.meta.url), 'utf8');
  const envNames = new Set([...source.matchAll(/'((?:SWITCHBOARD_[A-Z_]+)|DATABASE_URL)'/g)].map((m) => m[1]));
  assert.ok(envNames.size >= 13, `found ${envNames.size} env names`);
  for (const name of envNames) assert.ok(doc.includes(`\`${name}\``), `${name} missing from docs/configuration.md`);
  const yamlBlock = /const YAML_KEYS[^{]*\{([\s\S]*?)\n\};/.exec(source)![1];
  const leaves = [...yamlBlock.matchAll(/'?([\w.]+)'?: 'leaf'/g)];
  assert.ok(leaves.length >= 20, `found ${leaves.length} YAML keys`);
  for (const m of leaves) {
    assert.ok(doc.includes(`\`${m[1]}\``), `YAML key ${m[1]} missing from docs/configuration.md`);
  }
});

test('sip.users come from YAML and are validated', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-config-users-'));
  writeFileSync(join(dir, 'switchboard.yaml'), 'sip:\n  users:\n    - { username: alice, password: s3cret }\n');
  const c = loadConfig({}, { cwd: dir, detectPublicHost: () => '192.0.2.10' });
  assert.deepEqual(c.sip.users, [{ username: 'alice', password: 's3cret' }]);
  writeFileSync(join(dir, 'switchboard.yaml'), 'sip:\n  users:\n    - { username: alice }\n');
  assert.throws(() => loadConfig({}, { cwd: dir, detectPublicHost: () => '192.0.2.10' }), (e: unknown) => e instanceof ConfigError && e.key === 'sip.users');
});

test('http.tls: cert and key (YAML or env) turn the HTTP port into HTTPS; one without the other or a missing file is refused', (t) => {
  const cwd = tempDir(t);
  writeFileSync(join(cwd, 'c.pem'), 'x');
  writeFileSync(join(cwd, 'k.pem'), 'x');
  const base = { SWITCHBOARD_PUBLIC_HOST: '127.0.0.1' };
  assert.equal(loadConfig(base, { cwd }).http.tls, undefined, 'default plain HTTP');
  const env = loadConfig({ ...base, SWITCHBOARD_HTTP_TLS_CERT: 'c.pem', SWITCHBOARD_HTTP_TLS_KEY: 'k.pem' }, { cwd });
  assert.deepEqual(env.http.tls, { cert: join(cwd, 'c.pem'), key: join(cwd, 'k.pem') });
  writeFileSync(join(cwd, 'sb.yaml'), 'http:\n  tls:\n    cert: c.pem\n    key: k.pem\n');
  assert.deepEqual(loadConfig({ ...base, SWITCHBOARD_CONFIG: join(cwd, 'sb.yaml') }, { cwd }).http.tls, { cert: join(cwd, 'c.pem'), key: join(cwd, 'k.pem') });
  expectConfigError(() => loadConfig({ ...base, SWITCHBOARD_HTTP_TLS_CERT: 'c.pem' }, { cwd }), 'SWITCHBOARD_HTTP_TLS_KEY', /no key/);
  expectConfigError(() => loadConfig({ ...base, SWITCHBOARD_HTTP_TLS_KEY: 'k.pem' }, { cwd }), 'SWITCHBOARD_HTTP_TLS_CERT', /no certificate/);
  expectConfigError(() => loadConfig({ ...base, SWITCHBOARD_HTTP_TLS_CERT: 'nope.pem', SWITCHBOARD_HTTP_TLS_KEY: 'k.pem' }, { cwd }), 'SWITCHBOARD_HTTP_TLS_CERT', /does not exist/);
});

test('speech providers: local by default; command TTS and websocket transcription from YAML/env; errors name the key', (t) => {
  const cwd = tempDir(t);
  const withYaml = (text: string, env: Record<string, string> = {}) => () => {
    writeFileSync(join(cwd, 'switchboard.yaml'), text);
    return loadConfig(env, { cwd, ...guess });
  };
  const c = withYaml(`
speech:
  tts: { provider: command, command: [espeak-ng, --stdout, -v, "{voice}", "{text}"], timeoutMs: 5000 }
  transcription: { provider: websocket, url: "ws://127.0.0.1:2700" }
`)();
  assert.deepEqual(c.speech, {
    tts: { provider: 'command', command: ['espeak-ng', '--stdout', '-v', '{voice}', '{text}'], timeoutMs: 5000, maxConcurrent: 2 },
    transcription: { provider: 'websocket', url: 'ws://127.0.0.1:2700', protocol: 'vosk', connectTimeoutMs: 5000 },
  });
  // Env selects and overrides: the URL (which may carry a token) can stay out of the file.
  const e = withYaml('', { SWITCHBOARD_TRANSCRIPTION_PROVIDER: 'websocket', SWITCHBOARD_TRANSCRIPTION_URL: 'wss://asr.example/v1?key=x' })();
  assert.deepEqual(e.speech.transcription, { provider: 'websocket', url: 'wss://asr.example/v1?key=x', protocol: 'vosk', connectTimeoutMs: 5000 });
  assert.deepEqual(e.speech.tts, { provider: 'local' });
  expectConfigError(withYaml('speech:\n  tts: { provider: polly }\n'), 'speech.tts.provider', /one of local, command/);
  expectConfigError(withYaml('speech:\n  tts: { provider: command }\n'), 'speech.tts.command', /is required/);
  expectConfigError(withYaml('speech:\n  tts: { command: [espeak-ng] }\n'), 'speech.tts.command', /only used with speech.tts.provider: command/);
  expectConfigError(withYaml('speech:\n  tts: { provider: command, command: espeak-ng }\n'), 'speech.tts.command', /list of strings/);
  expectConfigError(withYaml('speech:\n  tts: { provider: command, command: [x], timeoutMs: 0 }\n'), 'speech.tts.timeoutMs', /positive/);
  expectConfigError(withYaml('speech:\n  transcription: { provider: websocket }\n'), 'speech.transcription.url', /is required/);
  expectConfigError(withYaml('speech:\n  transcription: { provider: websocket, url: "http://x" }\n'), 'speech.transcription.url', /ws:\/\/ or wss:\/\//);
  expectConfigError(withYaml('', { SWITCHBOARD_TRANSCRIPTION_URL: 'ws://x' }), 'SWITCHBOARD_TRANSCRIPTION_URL', /only used with/);
  expectConfigError(withYaml('', { SWITCHBOARD_TRANSCRIPTION_PROVIDER: 'deepgram' }), 'SWITCHBOARD_TRANSCRIPTION_PROVIDER', /one of local, websocket/);
  expectConfigError(withYaml('speech:\n  transcription: { provider: websocket, url: "ws://x", protocol: deepgram }\n'), 'speech.transcription.protocol', /one of vosk/);
  expectConfigError(withYaml('speech:\n  stt: {}\n'), 'speech.stt', /unknown setting/);
});
