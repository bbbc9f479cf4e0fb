// The process logger: pino, JSON lines on stdout at the configured level. Layers receive it
// as the narrow Logger interface of src/lib/logger.ts and never import pino themselves.
import { pino, stdTimeFunctions, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { Logger } from '../lib/index.ts';
import type { LogLevel } from './config.ts';

export interface CreateLoggerOptions {
  /** Where the JSON lines go; default stdout, written synchronously. */
  destination?: DestinationStream;
}

/** A pino logger; it satisfies the Logger interface every layer accepts (checked below). */
export function createLogger(level: LogLevel, opts: CreateLoggerOptions = {}): PinoLogger {
  // Synchronous stdout: the last lines before a shutdown or crash must not be lost in a
  // buffer, and signaling never logs per packet at the default level.
  const destination = opts.destination ?? pino.destination({ dest: 1, sync: true });
  const log = pino(
    {
      level,
      name: 'switchboard',
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return log;
}

// Compile-time proof that pino's logger fits the interface the layers accept.
const _fits: (l: PinoLogger) => Logger = (l) => l;
void _fits;
