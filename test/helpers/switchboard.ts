// Starts a real Switchboard node in this process for end-to-end tests: SIP on ephemeral
// loopback ports, HTTP on an ephemeral port, a throw-away data directory. Peers (SIPp,
// baresip) then talk to it over real sockets.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, SwitchboardServer, type Config, type ServiceFactory } from '../../src/server/index.ts';
import { nullLogger } from '../../src/lib/index.ts';

export interface TestNode {
  /** Folder holding the data dir and config; pass it to startNode again to restart on the same data. */
  dir: string;
  server: SwitchboardServer;
  config: Config;
  /** host:port for SIP over UDP and TCP. */
  sip: string;
  ports: { udp: number; tcp: number; ws?: number; tls?: number };
  http: string;
  stop(): Promise<void>;
}

/** YAML extra settings (e.g. `sip:\n  trusted: []`), env overrides, and services other than the defaults. */
export async function startNode(opts: { yaml?: string; env?: Record<string, string>; dir?: string; services?: readonly ServiceFactory[] } = {}): Promise<TestNode> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'sb-node-'));
  const env: Record<string, string> = {
    SWITCHBOARD_DATA_DIR: join(dir, 'data'), SWITCHBOARD_HTTP_PORT: '0', SWITCHBOARD_SIP_PORT: '0',
    SWITCHBOARD_SIP_WS_PORT: '0', SWITCHBOARD_BIND: '127.0.0.1', SWITCHBOARD_PUBLIC_HOST: '127.0.0.1',
    SWITCHBOARD_ADMIN_KEY: 'test-admin-key-0123456789', SWITCHBOARD_LOG_LEVEL: 'silent', ...opts.env,
  };
  if (opts.yaml) {
    writeFileSync(join(dir, 'switchboard.yaml'), opts.yaml);
    env.SWITCHBOARD_CONFIG = join(dir, 'switchboard.yaml');
  }
  const config = loadConfig(env, { cwd: dir });
  const server = await SwitchboardServer.start(config, { logger: nullLogger, print: () => {}, services: opts.services });
  const sip = server.service('sip') as unknown as { ports: { udp: number; tcp: number; ws?: number; tls?: number } };
  return {
    dir, server, config, ports: sip.ports,
    sip: `127.0.0.1:${sip.ports.udp}`,
    http: `${config.http.tls ? 'https' : 'http'}://127.0.0.1:${server.httpPort}`,
    stop: () => server.stop('test done'),
  };
}
