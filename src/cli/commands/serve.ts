// `switchboard serve`: load the configuration, start the node, and stop it gracefully on
// SIGTERM/SIGINT. A configuration problem is the operator's to fix: print it plainly and
// exit 2, without a stack trace.
import { parseArgs } from 'node:util';
import { ConfigError, SwitchboardServer, handleShutdownSignals, loadConfig } from '../../server/index.ts';
import { EXIT, type Command } from '../command.ts';

export const serveCommand: Command = {
  summary: 'run a Switchboard node (the default command)',
  usage: [
    'Usage: switchboard serve [--config <file>]',
    '',
    'Starts SIP, HTTP (health, readiness, metrics) and every service of a node, and runs',
    'until SIGTERM or SIGINT, then drains active work and exits 0.',
    '',
    'Options:',
    '  -c, --config <file>  YAML configuration file (default: $SWITCHBOARD_CONFIG,',
    '                       else ./switchboard.yaml when it exists)',
    '  -h, --help           show this help',
    '',
    'Every setting can also come from the environment (SWITCHBOARD_HTTP_PORT,',
    'SWITCHBOARD_SIP_PORT …); see docs/configuration.md.',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      io.stdout(`${this.usage}\n`);
      return EXIT.OK;
    }
    const env = values.config ? { ...io.env, SWITCHBOARD_CONFIG: values.config } : io.env;
    let config;
    try {
      config = loadConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) {
        io.stderr(`switchboard: configuration error: ${err.message}\n`);
        return EXIT.USAGE;
      }
      throw err;
    }
    let server: SwitchboardServer;
    try {
      server = await SwitchboardServer.start(config, { print: (line) => io.stdout(`${line}\n`) });
    } catch (err) {
      io.stderr(`switchboard: could not start: ${(err as Error).message}\n`);
      return EXIT.FAILURE;
    }
    handleShutdownSignals(server, { logger: server.logger });
    return 'running';
  },
};
