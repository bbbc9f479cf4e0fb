// The shape of one `switchboard` subcommand. Each lives in commands/<name>.ts and is listed
// in commands/index.ts; main.ts only dispatches, so adding a subcommand touches no other.
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

/**
 * What a command's run() resolves to: an exit code, or 'running' when it started something
 * long-lived (serve) that will end the process itself.
 */
export type CommandResult = number | 'running';

export interface Command {
  /** One line for `switchboard --help`. */
  summary: string;
  /** Full usage text for `switchboard <name> --help`. */
  usage: string;
  run(args: string[], io: CliIo): Promise<CommandResult>;
}

/** Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2 } as const;
