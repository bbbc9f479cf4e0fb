// SIGTERM / SIGINT → graceful stop → exit 0. A second signal while draining means the
// operator does not want to wait: exit 1 at once (active work is cut off).
import type { Logger } from '../lib/index.ts';

export interface Stoppable {
  stop(reason?: string): Promise<void>;
}

export interface SignalOptions {
  logger: Logger;
  /** Ends the process; default process.exit. */
  exit?: (code: number) => void;
  /** Where signals come from; default process. */
  source?: NodeJS.EventEmitter;
}

/** Install the handlers; returns a function that removes them. */
export function handleShutdownSignals(server: Stoppable, opts: SignalOptions): () => void {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const source = opts.source ?? process;
  let received = false;
  const onSignal = (signal: string) => {
    if (received) {
      opts.logger.warn({ signal }, 'second signal: exiting without waiting for drain');
      exit(1);
      return;
    }
    received = true;
    opts.logger.info({ signal }, 'shutdown signal received');
    server.stop(signal).then(
      () => exit(0),
      (err: unknown) => {
        opts.logger.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  source.on('SIGTERM', onSignal);
  source.on('SIGINT', onSignal);
  return () => {
    source.off('SIGTERM', onSignal);
    source.off('SIGINT', onSignal);
  };
}
