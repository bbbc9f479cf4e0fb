// The `switchboard` command line: dispatches to a subcommand module (commands/index.ts).
//   switchboard [serve]         run a node (default)
//   switchboard version         print the version
//   switchboard --help | -h     list commands;  switchboard <cmd> --help for one
// Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
import { COMMANDS, DEFAULT_COMMAND } from './commands/index.ts';
import { EXIT, type CliIo, type CommandResult } from './command.ts';

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
};

async function help(io: CliIo): Promise<void> {
  const lines = ['Usage: switchboard [command] [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) {
    lines.push(`  ${name.padEnd(10)} ${(await load()).summary}`);
  }
  lines.push('', `With no command, runs \`switchboard ${DEFAULT_COMMAND}\`.`,
    'Run `switchboard <command> --help` for a command\'s options.');
  io.stdout(`${lines.join('\n')}\n`);
}

export async function main(argv: string[], io: CliIo = defaultIo): Promise<CommandResult> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    await help(io);
    return EXIT.OK;
  }
  if (first === '--version' || first === '-v') return main(['version', ...rest], io);

  // Options without a command belong to the default command (`switchboard --config x.yaml`).
  const named = first !== undefined && !first.startsWith('-');
  const name = named ? first : DEFAULT_COMMAND;
  const args = named ? rest : argv;
  const load = COMMANDS[name];
  if (!load) {
    io.stderr(`switchboard: unknown command "${name}". Run \`switchboard --help\` for the list.\n`);
    return EXIT.USAGE;
  }
  const command = await load();
  try {
    return await command.run(args, io);
  } catch (err) {
    // parseArgs reports unknown or malformed options with these codes.
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`switchboard ${name}: ${(err as Error).message}\n\n${command.usage}\n`);
      return EXIT.USAGE;
    }
    throw err;
  }
}
