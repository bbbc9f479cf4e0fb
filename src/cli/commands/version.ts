// `switchboard version`: the package version, nothing else (scripts parse it).
import { VERSION } from '../../server/index.ts';
import { EXIT, type Command } from '../command.ts';

export const versionCommand: Command = {
  summary: 'print the version',
  usage: 'Usage: switchboard version\n\nPrints the Switchboard version.',
  async run(_args, io) {
    io.stdout(`${VERSION}\n`);
    return EXIT.OK;
  },
};
