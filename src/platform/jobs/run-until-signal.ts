import type { Logger } from 'pino';

export interface Stoppable {
  start(): void;
  stop(): Promise<void>;
}

/**
 * Runs a background loop until SIGTERM/SIGINT, then stops it gracefully (the pass in progress
 * finishes) and runs `close`. Resolves once everything is closed.
 */
export function runUntilSignal(
  loop: Stoppable,
  close: () => Promise<void>,
  logger: Logger,
  name: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, `${name}: stopping after the current pass`);
      loop
        .stop()
        .then(close)
        .then(() => {
          process.off('SIGTERM', onTerm);
          process.off('SIGINT', onInt);
          logger.info(`${name}: stopped`);
          resolve();
        }, reject);
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    loop.start();
    logger.info(`${name}: running`);
  });
}
