// Switchboard's configuration: one typed object built from (lowest to highest precedence)
// built-in defaults, a YAML file, and environment variables. The env names are a public
// contract (docs/configuration.md); so are the YAML keys. Validation happens here, once,
// with a message naming the offending key, so no later layer has to distrust its config.
// This module must never start anything or write files: it only reads and checks.
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Declarations } from '../core/index.ts';
import { DeclarationShapeError, parseDeclarations } from './declarations-config.ts';
import { detectPublicHost } from './public-host.ts';
import { VERSION } from './version.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Per-source flood protection handed to the SIP transport (its own defaults apply when a field is absent). */
export interface FloodConfig {
  /** Sustained SIP requests per second per source IP; default 200. */
  requestsPerSecond: number;
  /** Requests a source may send in a burst above the rate; default 400. */
  burst: number;
  /** How long a source that exceeded the rate stays banned, in ms; default 60000. */
  banMs: number;
  /** Open TCP/TLS/WS connections allowed per source IP; default 64. */
  maxConnectionsPerSource: number;
  /** User-Agent substrings of scanners to drop silently; default: the transport's built-in list. */
  scannerUserAgents?: string[];
}

/** A SIP user (a phone) that registers and calls with digest credentials. */
export interface SipUserConfig {
  /** Digest username, also the user part of its address of record. */
  username: string;
  /** Digest password. */
  password: string;
}

export interface SipTlsConfig {
  /** SIP over TLS port; default 5061 (env SWITCHBOARD_SIP_TLS_PORT). */
  port: number;
  /** PEM certificate file path (env SWITCHBOARD_SIP_TLS_CERT); TLS is off without it. */
  cert: string;
  /** PEM private key file path (env SWITCHBOARD_SIP_TLS_KEY); required with cert. */
  key: string;
}

/** Text-to-speech engine (docs/speech.md "Hosted providers"). */
export type TtsConfig =
  /** espeak-ng WASM in a worker thread (the default). */
  | { provider: 'local' }
  /** A program writing WAV to stdout per prompt (speech/tts/command-synthesizer.ts). */
  | {
    provider: 'command';
    /** argv with {text} {voice} {language} {rate} {wpm} placeholders; required (YAML speech.tts.command). */
    command: string[];
    /** Kill a run after this long, ms; default 10000. */
    timeoutMs: number;
    /** Programs running at once; default 2. */
    maxConcurrent: number;
  };

/** Free-form transcription engine (live transcription, free-form recognize). */
export type TranscriptionConfig =
  /** pocketsphinx_continuous (the default). */
  | { provider: 'local' }
  /** A speech server over WebSocket (speech/asr/websocket-transcriber.ts). */
  | {
    provider: 'websocket';
    /** ws:// or wss:// URL; required (env SWITCHBOARD_TRANSCRIPTION_URL). */
    url: string;
    /** Wire protocol; default and only value 'vosk'. */
    protocol: 'vosk';
    /** Connect timeout per session, ms; default 5000. */
    connectTimeoutMs: number;
  };

export interface Config {
  /** Address every listener binds to; default '0.0.0.0' (env SWITCHBOARD_BIND). */
  bind: string;
  /** Address advertised in SIP and SDP; default: first non-internal IPv4, else 127.0.0.1 (env SWITCHBOARD_PUBLIC_HOST). */
  publicHost: string;
  /** Directory for the database, admin key, recordings; default ./data, made absolute (env SWITCHBOARD_DATA_DIR). */
  dataDir: string;
  /** PostgreSQL URL; default unset = SQLite in dataDir (env DATABASE_URL). */
  databaseUrl?: string;
  /** Admin API key; default unset = generated on first start and stored in dataDir (env SWITCHBOARD_ADMIN_KEY). */
  adminKey?: string;
  http: {
    /** HTTP API, probes and metrics port; default 8080, 0 = ephemeral (env SWITCHBOARD_HTTP_PORT). */
    port: number;
    /**
     * HTTPS on that same port instead of plain HTTP; default undefined = plain HTTP. Present only
     * when a certificate and key are configured (env SWITCHBOARD_HTTP_TLS_CERT / _KEY). There is no
     * second plain-HTTP port: one port, one scheme (docs/configuration.md).
     */
    tls?: { cert: string; key: string };
  };
  sip: {
    /** SIP over UDP and TCP port; default 5060, 0 = ephemeral (env SWITCHBOARD_SIP_PORT). */
    port: number;
    /** SIP over WebSocket port (RFC 7118); default 5066 (env SWITCHBOARD_SIP_WS_PORT). */
    wsPort: number;
    /** SIP over TLS; default undefined = off, present only when a certificate is configured. */
    tls?: SipTlsConfig;
    /** Sources exempt from flood limits and trusted as peers (CIDRs or IPs); default ['127.0.0.0/8', '::1/128']. */
    trusted: string[];
    /** Digest authentication realm; default: publicHost. */
    realm: string;
    /** User-Agent / Server header value; default 'Switchboard/<version>'. */
    userAgent: string;
    /** Flood protection; defaults per field above. */
    flood: FloodConfig;
    /** Digest algorithms offered, one challenge each, most preferred first (RFC 8760); default ['SHA-256', 'MD5']. */
    digestAlgorithms: ('SHA-256' | 'MD5')[];
    /** SIP users that may REGISTER and call with digest credentials (YAML `sip.users`); default none. */
    users: SipUserConfig[];
  };
  rtp: {
    /** First RTP port (even); default 20000 (env SWITCHBOARD_RTP_PORTS=min-max). */
    portMin: number;
    /** Last RTP port; default 29999. */
    portMax: number;
  };
  log: {
    /** pino level; default 'info' (env SWITCHBOARD_LOG_LEVEL). */
    level: LogLevel;
  };
  shutdown: {
    /** How long draining may take before active work is ended, in ms; default 30000. */
    drainTimeoutMs: number;
  };
  metrics: {
    /** Serve /metrics without auth; default true. When false it needs the admin key as Bearer. */
    public: boolean;
  };
  speech: {
    /** Default {provider: 'local'} (env SWITCHBOARD_TTS_PROVIDER). */
    tts: TtsConfig;
    /** Default {provider: 'local'} (env SWITCHBOARD_TRANSCRIPTION_PROVIDER). */
    transcription: TranscriptionConfig;
  };
  /** Absolute path of the YAML file that was read; undefined when none. */
  configFile?: string;
  /**
   * Applications (with literal API keys, numbers, SIP users) and trunks declared in YAML
   * `applications:` / `trunks:`, applied idempotently at start; default undefined = none.
   */
  declared?: Declarations;
}

/** A configuration problem; `key` is the env name or YAML path to fix. */
export class ConfigError extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    super(`${key}: ${message}`);
    this.name = 'ConfigError';
    this.key = key;
  }
}

export interface LoadConfigOptions {
  /** Base for relative paths and the default config file; default process.cwd(). */
  cwd?: string;
  /** Public address guess when SWITCHBOARD_PUBLIC_HOST is unset; default detectPublicHost(). */
  detectPublicHost?: () => string;
}

/** Every YAML key we accept; a key not listed is reported (it is usually a typo). */
const YAML_KEYS: Record<string, 'leaf' | 'section'> = {
  bind: 'leaf', publicHost: 'leaf', dataDir: 'leaf', databaseUrl: 'leaf', adminKey: 'leaf',
  http: 'section', 'http.port': 'leaf', 'http.tls': 'section', 'http.tls.cert': 'leaf', 'http.tls.key': 'leaf',
  sip: 'section', 'sip.port': 'leaf', 'sip.wsPort': 'leaf',
  'sip.tls': 'section', 'sip.tls.port': 'leaf', 'sip.tls.cert': 'leaf', 'sip.tls.key': 'leaf',
  'sip.trusted': 'leaf', 'sip.realm': 'leaf', 'sip.users': 'leaf', 'sip.digestAlgorithms': 'leaf', 'sip.userAgent': 'leaf',
  'sip.flood': 'section', 'sip.flood.requestsPerSecond': 'leaf', 'sip.flood.burst': 'leaf',
  'sip.flood.banMs': 'leaf', 'sip.flood.maxConnectionsPerSource': 'leaf', 'sip.flood.scannerUserAgents': 'leaf',
  rtp: 'section', 'rtp.ports': 'leaf',
  log: 'section', 'log.level': 'leaf',
  shutdown: 'section', 'shutdown.drainTimeoutMs': 'leaf',
  metrics: 'section', 'metrics.public': 'leaf',
  speech: 'section', 'speech.tts': 'section', 'speech.tts.provider': 'leaf', 'speech.tts.command': 'leaf',
  'speech.tts.timeoutMs': 'leaf', 'speech.tts.maxConcurrent': 'leaf',
  'speech.transcription': 'section', 'speech.transcription.provider': 'leaf', 'speech.transcription.url': 'leaf',
  'speech.transcription.protocol': 'leaf', 'speech.transcription.connectTimeoutMs': 'leaf',
  // Checked by declarations-config.ts, which names the offending path itself.
  applications: 'leaf', trunks: 'leaf',
};

type Yaml = Record<string, unknown>;

function isObject(v: unknown): v is Yaml {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkYamlKeys(node: Yaml, prefix: string, file: string): void {
  for (const [k, v] of Object.entries(node)) {
    const path = prefix ? `${prefix}.${k}` : k;
    const kind = YAML_KEYS[path];
    if (!kind) throw new ConfigError(path, `unknown setting in ${file} (see docs/configuration.md)`);
    if (kind === 'section') {
      if (v === null || v === undefined) continue;
      if (!isObject(v)) throw new ConfigError(path, `must be a mapping in ${file}`);
      checkYamlKeys(v, path, file);
    }
  }
}

function yamlAt(doc: Yaml, path: string): unknown {
  let node: unknown = doc;
  for (const part of path.split('.')) {
    if (!isObject(node)) return undefined;
    node = node[part];
  }
  return node ?? undefined;
}

/** A setting's raw value and the name to blame if it is wrong. Env wins over YAML. */
interface Raw {
  value: unknown;
  key: string;
}

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

// ---- value parsers: each names the key in its error --------------------------------------

/** An integer from a YAML number or an all-digits env string; NaN for anything else. */
function asInt(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) ? n : NaN;
}

function toPort(raw: Raw): number {
  const n = asInt(raw.value);
  if (!(n >= 0 && n <= 65535)) {
    throw new ConfigError(raw.key, `must be a port number 1..65535 (or 0 for any free port), got ${JSON.stringify(raw.value)}`);
  }
  return n;
}

function toPositiveInt(raw: Raw): number {
  const n = asInt(raw.value);
  if (!(n > 0)) throw new ConfigError(raw.key, `must be a positive integer, got ${JSON.stringify(raw.value)}`);
  return n;
}

function toNonNegativeInt(raw: Raw): number {
  const n = asInt(raw.value);
  if (!(n >= 0)) throw new ConfigError(raw.key, `must be an integer >= 0, got ${JSON.stringify(raw.value)}`);
  return n;
}

function toString(raw: Raw): string {
  if (typeof raw.value === 'number') return String(raw.value);
  if (typeof raw.value !== 'string' || raw.value.trim() === '') {
    throw new ConfigError(raw.key, `must be a non-empty string, got ${JSON.stringify(raw.value)}`);
  }
  return raw.value.trim();
}

function toBool(raw: Raw): boolean {
  const v = raw.value;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|1|yes|on)$/i.test(v)) return true;
  if (typeof v === 'string' && /^(false|0|no|off)$/i.test(v)) return false;
  throw new ConfigError(raw.key, `must be true or false, got ${JSON.stringify(v)}`);
}

function toStringList(raw: Raw): string[] {
  const v = raw.value;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.trim() === '')) {
    throw new ConfigError(raw.key, `must be a list of strings, got ${JSON.stringify(v)}`);
  }
  return v.map((x: string) => x.trim());
}

function toDigestAlgorithms(raw: Raw): ('SHA-256' | 'MD5')[] {
  const list = toStringList(raw).map((a) => a.toUpperCase());
  if (list.length === 0 || list.some((a) => a !== 'SHA-256' && a !== 'MD5') || new Set(list).size !== list.length) {
    throw new ConfigError(raw.key, `must list SHA-256 and/or MD5 once each, got ${JSON.stringify(raw.value)}`);
  }
  return list as ('SHA-256' | 'MD5')[];
}

function toSipUsers(raw: Raw): SipUserConfig[] {
  const v = raw.value;
  const ok = (u: unknown): u is SipUserConfig => isObject(u) && Object.keys(u).every((k) => k === 'username' || k === 'password')
    && typeof u.username === 'string' && /^[A-Za-z0-9._!~*'()&=+$,;?/-]+$/.test(u.username)
    && typeof u.password === 'string' && u.password.length > 0;
  if (!Array.isArray(v) || !v.every(ok)) {
    throw new ConfigError(raw.key, 'must be a list of { username, password } (username: SIP user characters; password: non-empty)');
  }
  return v.map((u) => ({ username: u.username, password: u.password }));
}

function toLogLevel(raw: Raw): LogLevel {
  const s = toString(raw).toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(s)) {
    throw new ConfigError(raw.key, `must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(raw.value)}`);
  }
  return s as LogLevel;
}

function toHost(raw: Raw): string {
  const s = toString(raw);
  // An IP literal or a DNS name; no scheme, port or path (a common copy-paste mistake).
  if (isIP(s) === 0 && !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?$/.test(s)) {
    throw new ConfigError(raw.key, `must be an IP address or host name (no scheme or port), got ${JSON.stringify(s)}`);
  }
  return s;
}

function toBindAddress(raw: Raw): string {
  const s = toString(raw);
  if (isIP(s) === 0) throw new ConfigError(raw.key, `must be an IP address such as 0.0.0.0, 127.0.0.1 or ::, got ${JSON.stringify(s)}`);
  return s;
}

function toCidr(key: string, s: string): string {
  const [addr, prefix, extra] = s.split('/');
  const family = isIP(addr);
  const max = family === 4 ? 32 : 128;
  if (family === 0 || extra !== undefined || (prefix !== undefined && (!/^\d+$/.test(prefix) || Number(prefix) > max))) {
    throw new ConfigError(key, `${JSON.stringify(s)} is not an IP address or CIDR (e.g. 10.0.0.0/8, ::1/128)`);
  }
  return s;
}

/** `min-max`, start even (RTP on even, RTCP on the odd port above it; RFC 3550 §11) and start < end. */
function toRtpRange(raw: Raw): { portMin: number; portMax: number } {
  const m = typeof raw.value === 'string' ? /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(raw.value) : null;
  if (!m) throw new ConfigError(raw.key, `must be a port range like 20000-29999, got ${JSON.stringify(raw.value)}`);
  const portMin = Number(m[1]);
  const portMax = Number(m[2]);
  if (portMin < 1 || portMax > 65535) throw new ConfigError(raw.key, `ports must lie within 1..65535, got ${raw.value}`);
  if (portMin % 2 !== 0) throw new ConfigError(raw.key, `must start on an even port (RTP even, RTCP odd), got ${portMin}`);
  if (portMin >= portMax) throw new ConfigError(raw.key, `start must be below end, got ${raw.value}`);
  return { portMin, portMax };
}

function toOneOf<T extends string>(values: readonly T[]): (raw: Raw) => T {
  return (raw) => {
    const s = toString(raw).toLowerCase();
    if (!(values as readonly string[]).includes(s)) throw new ConfigError(raw.key, `must be one of ${values.join(', ')}, got ${JSON.stringify(raw.value)}`);
    return s as T;
  };
}

function toWsUrl(raw: Raw): string {
  const s = toString(raw);
  let ok = false;
  try {
    const u = new URL(s);
    ok = (u.protocol === 'ws:' || u.protocol === 'wss:') && u.hostname !== '';
  } catch {
    // not a URL at all
  }
  if (!ok) throw new ConfigError(raw.key, `must be a ws:// or wss:// URL, got ${JSON.stringify(raw.value)}`);
  return s;
}

// ---- loading ---------------------------------------------------------------------------

function readYaml(env: NodeJS.ProcessEnv, cwd: string): { doc: Yaml; file?: string } {
  const explicit = envValue(env, 'SWITCHBOARD_CONFIG');
  const file = resolve(cwd, explicit ?? 'switchboard.yaml');
  if (!existsSync(file)) {
    if (explicit) throw new ConfigError('SWITCHBOARD_CONFIG', `config file ${file} does not exist`);
    return { doc: {} };
  }
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError('SWITCHBOARD_CONFIG', `cannot read ${file}: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return { doc: {}, file };
  if (!isObject(doc)) throw new ConfigError('SWITCHBOARD_CONFIG', `${file} must hold a YAML mapping at the top level`);
  checkYamlKeys(doc, '', file);
  return { doc, file };
}

function declarations(doc: Yaml): Declarations {
  try {
    return parseDeclarations(doc);
  } catch (err) {
    if (err instanceof DeclarationShapeError) throw new ConfigError(err.key, err.message);
    throw err;
  }
}

/**
 * Build the configuration: defaults, then the YAML file (SWITCHBOARD_CONFIG, or
 * ./switchboard.yaml when it exists), then environment variables. Throws ConfigError.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, opts: LoadConfigOptions = {}): Config {
  const cwd = opts.cwd ?? process.cwd();
  const { doc, file } = readYaml(env, cwd);

  /** The value of a setting from env (if it has an env name) or YAML, or undefined. */
  const pick = (yamlPath: string, envName?: string): Raw | undefined => {
    const e = envName ? envValue(env, envName) : undefined;
    if (e !== undefined) return { value: e, key: envName! };
    const y = yamlAt(doc, yamlPath);
    return y === undefined ? undefined : { value: y, key: yamlPath };
  };
  function get<T>(yamlPath: string, envName: string | undefined, parse: (r: Raw) => T, dflt: T): T;
  function get<T>(yamlPath: string, envName: string | undefined, parse: (r: Raw) => T): T | undefined;
  function get<T>(yamlPath: string, envName: string | undefined, parse: (r: Raw) => T, dflt?: T): T | undefined {
    const raw = pick(yamlPath, envName);
    return raw === undefined ? dflt : parse(raw);
  }

  const publicHost = get('publicHost', 'SWITCHBOARD_PUBLIC_HOST', toHost) ?? (opts.detectPublicHost ?? detectPublicHost)();

  const adminKey = get('adminKey', 'SWITCHBOARD_ADMIN_KEY', toString);
  if (adminKey !== undefined && adminKey.length < 16) {
    throw new ConfigError(pick('adminKey', 'SWITCHBOARD_ADMIN_KEY')!.key, 'must be at least 16 characters long');
  }

  const cert = get('sip.tls.cert', 'SWITCHBOARD_SIP_TLS_CERT', toString);
  const key = get('sip.tls.key', 'SWITCHBOARD_SIP_TLS_KEY', toString);
  let tls: SipTlsConfig | undefined;
  if (cert !== undefined || key !== undefined) {
    if (cert === undefined) throw new ConfigError('SWITCHBOARD_SIP_TLS_CERT', 'a TLS key is configured but no certificate (sip.tls.cert)');
    if (key === undefined) throw new ConfigError('SWITCHBOARD_SIP_TLS_KEY', 'a TLS certificate is configured but no key (sip.tls.key)');
    const certPath = resolve(cwd, cert);
    const keyPath = resolve(cwd, key);
    if (!existsSync(certPath)) throw new ConfigError(pick('sip.tls.cert', 'SWITCHBOARD_SIP_TLS_CERT')!.key, `certificate file ${certPath} does not exist`);
    if (!existsSync(keyPath)) throw new ConfigError(pick('sip.tls.key', 'SWITCHBOARD_SIP_TLS_KEY')!.key, `key file ${keyPath} does not exist`);
    tls = { port: get('sip.tls.port', 'SWITCHBOARD_SIP_TLS_PORT', toPort, 5061), cert: certPath, key: keyPath };
  } else {
    get('sip.tls.port', 'SWITCHBOARD_SIP_TLS_PORT', toPort); // still validated, so a typo is not silently ignored
  }

  const httpCert = get('http.tls.cert', 'SWITCHBOARD_HTTP_TLS_CERT', toString);
  const httpKey = get('http.tls.key', 'SWITCHBOARD_HTTP_TLS_KEY', toString);
  let httpTls: { cert: string; key: string } | undefined;
  if (httpCert !== undefined || httpKey !== undefined) {
    if (httpCert === undefined) throw new ConfigError('SWITCHBOARD_HTTP_TLS_CERT', 'an HTTPS key is configured but no certificate (http.tls.cert)');
    if (httpKey === undefined) throw new ConfigError('SWITCHBOARD_HTTP_TLS_KEY', 'an HTTPS certificate is configured but no key (http.tls.key)');
    httpTls = { cert: resolve(cwd, httpCert), key: resolve(cwd, httpKey) };
    if (!existsSync(httpTls.cert)) throw new ConfigError(pick('http.tls.cert', 'SWITCHBOARD_HTTP_TLS_CERT')!.key, `certificate file ${httpTls.cert} does not exist`);
    if (!existsSync(httpTls.key)) throw new ConfigError(pick('http.tls.key', 'SWITCHBOARD_HTTP_TLS_KEY')!.key, `key file ${httpTls.key} does not exist`);
  }

  const trustedRaw = pick('sip.trusted');
  const trusted = trustedRaw ? toStringList(trustedRaw).map((c) => toCidr(trustedRaw.key, c)) : ['127.0.0.0/8', '::1/128'];

  const rtp = get('rtp.ports', 'SWITCHBOARD_RTP_PORTS', toRtpRange, { portMin: 20000, portMax: 29999 });

  // Speech engines (docs/speech.md "Hosted providers"): a provider's settings without the provider
  // selected are refused, so a forgotten `provider:` line does not silently keep the local engine.
  const ttsProvider = get('speech.tts.provider', 'SWITCHBOARD_TTS_PROVIDER', toOneOf(['local', 'command'] as const), 'local');
  const ttsCommand = get('speech.tts.command', undefined, toStringList);
  const ttsTimeoutMs = get('speech.tts.timeoutMs', undefined, toPositiveInt, 10_000);
  const ttsMaxConcurrent = get('speech.tts.maxConcurrent', undefined, toPositiveInt, 2);
  let ttsConfig: TtsConfig = { provider: 'local' };
  if (ttsProvider === 'command') {
    if (!ttsCommand?.length) throw new ConfigError('speech.tts.command', 'is required with speech.tts.provider command: the program and its arguments, e.g. [espeak-ng, --stdout, -v, "{voice}", "{text}"]');
    ttsConfig = { provider: 'command', command: ttsCommand, timeoutMs: ttsTimeoutMs, maxConcurrent: ttsMaxConcurrent };
  } else if (ttsCommand !== undefined) {
    throw new ConfigError('speech.tts.command', 'is only used with speech.tts.provider: command (SWITCHBOARD_TTS_PROVIDER=command)');
  }
  const asrProvider = get('speech.transcription.provider', 'SWITCHBOARD_TRANSCRIPTION_PROVIDER', toOneOf(['local', 'websocket'] as const), 'local');
  const asrUrl = get('speech.transcription.url', 'SWITCHBOARD_TRANSCRIPTION_URL', toWsUrl);
  const asrProtocol = get('speech.transcription.protocol', undefined, toOneOf(['vosk'] as const), 'vosk');
  const asrConnectTimeoutMs = get('speech.transcription.connectTimeoutMs', undefined, toPositiveInt, 5000);
  let transcriptionConfig: TranscriptionConfig = { provider: 'local' };
  if (asrProvider === 'websocket') {
    if (asrUrl === undefined) throw new ConfigError('speech.transcription.url', 'is required with speech.transcription.provider websocket (env SWITCHBOARD_TRANSCRIPTION_URL), e.g. ws://127.0.0.1:2700');
    transcriptionConfig = { provider: 'websocket', url: asrUrl, protocol: asrProtocol, connectTimeoutMs: asrConnectTimeoutMs };
  } else if (asrUrl !== undefined) {
    throw new ConfigError(pick('speech.transcription.url', 'SWITCHBOARD_TRANSCRIPTION_URL')!.key, 'is only used with speech.transcription.provider: websocket (SWITCHBOARD_TRANSCRIPTION_PROVIDER=websocket)');
  }

  const config: Config = {
    bind: get('bind', 'SWITCHBOARD_BIND', toBindAddress, '0.0.0.0'),
    publicHost,
    dataDir: resolve(cwd, get('dataDir', 'SWITCHBOARD_DATA_DIR', toString, './data')),
    http: { port: get('http.port', 'SWITCHBOARD_HTTP_PORT', toPort, 8080) },
    sip: {
      port: get('sip.port', 'SWITCHBOARD_SIP_PORT', toPort, 5060),
      wsPort: get('sip.wsPort', 'SWITCHBOARD_SIP_WS_PORT', toPort, 5066),
      trusted,
      realm: get('sip.realm', undefined, toHost, publicHost),
      userAgent: get('sip.userAgent', undefined, toString, `Switchboard/${VERSION}`),
      flood: {
        requestsPerSecond: get('sip.flood.requestsPerSecond', undefined, toPositiveInt, 200),
        burst: get('sip.flood.burst', undefined, toPositiveInt, 400),
        banMs: get('sip.flood.banMs', undefined, toNonNegativeInt, 60_000),
        maxConnectionsPerSource: get('sip.flood.maxConnectionsPerSource', undefined, toPositiveInt, 64),
      },
      users: get('sip.users', undefined, toSipUsers, []),
      digestAlgorithms: get('sip.digestAlgorithms', undefined, toDigestAlgorithms, ['SHA-256', 'MD5']),
    },
    rtp,
    log: { level: get('log.level', 'SWITCHBOARD_LOG_LEVEL', toLogLevel, 'info') },
    shutdown: { drainTimeoutMs: get('shutdown.drainTimeoutMs', undefined, toNonNegativeInt, 30_000) },
    metrics: { public: get('metrics.public', undefined, toBool, true) },
    speech: { tts: ttsConfig, transcription: transcriptionConfig },
  };
  if (doc.applications != null || doc.trunks != null) config.declared = declarations(doc);
  const scanners = get('sip.flood.scannerUserAgents', undefined, toStringList);
  if (scanners) config.sip.flood.scannerUserAgents = scanners;
  if (tls) config.sip.tls = tls;
  if (httpTls) config.http.tls = httpTls;
  const databaseUrl = get('databaseUrl', 'DATABASE_URL', toString);
  if (databaseUrl) config.databaseUrl = databaseUrl;
  if (adminKey) config.adminKey = adminKey;
  if (file) config.configFile = file;

  // Two listeners on one fixed port would fail at bind time with a less helpful EADDRINUSE.
  const fixed: [string, number][] = [
    ['SWITCHBOARD_HTTP_PORT', config.http.port], ['SWITCHBOARD_SIP_PORT', config.sip.port],
    ['SWITCHBOARD_SIP_WS_PORT', config.sip.wsPort],
  ];
  if (tls) fixed.push(['SWITCHBOARD_SIP_TLS_PORT', tls.port]);
  for (let i = 0; i < fixed.length; i++) {
    for (let j = i + 1; j < fixed.length; j++) {
      if (fixed[i][1] !== 0 && fixed[i][1] === fixed[j][1]) {
        throw new ConfigError(fixed[j][0], `port ${fixed[j][1]} is already used by ${fixed[i][0]}`);
      }
    }
  }
  return config;
}
