// Subcommand → module. Loaded lazily so `switchboard --help` does not pull in the server.
import type { Command } from '../command.ts';

export const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve.ts')).serveCommand,
  version: async () => (await import('./version.ts')).versionCommand,
  apps: async () => (await import('./apps.ts')).appsCommand,
  numbers: async () => (await import('./numbers.ts')).numbersCommand,
  trunks: async () => (await import('./trunks.ts')).trunksCommand,
  'sip-users': async () => (await import('./sip-users.ts')).sipUsersCommand,
  calls: async () => (await import('./calls.ts')).callsCommand,
  recordings: async () => (await import('./recordings.ts')).recordingsCommand,
  cdrs: async () => (await import('./cdrs.ts')).cdrsCommand,
  call: async () => (await import('./call.ts')).callCommand,
};

/** The command run when none is named. */
export const DEFAULT_COMMAND = 'serve';
