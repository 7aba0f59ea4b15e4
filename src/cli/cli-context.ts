import { createContainer, type Container } from '../container.js';
import { loadConfig, type Config } from '../platform/config/config.js';
import { describeUrl, waitForPostgres } from '../platform/db/client.js';
import { createLogger } from '../platform/logging/logger.js';
import { isDependencyUnavailable } from '../platform/resilience/unavailable.js';

/** sysexits.h EX_UNAVAILABLE: a one-shot command could not reach its database, so running it again later may succeed. */
export const EXIT_DATABASE_UNREACHABLE = 69;

export interface CliContainerOptions {
  /** Run pending migrations first (the default). */
  migrate?: boolean;
  /** Another store than the environment's (the benchmark scores in a throwaway in-memory one). */
  config?: Config;
  /** Commands that run until a signal log at LOG_LEVEL; one-shot commands print only warnings unless LOG_LEVEL is set. */
  logLevel?: 'config' | 'quiet';
  /**
   * For commands that run until a signal (the worker, the data-lake poller): wait for PostgreSQL with
   * backoff, as the server does, instead of failing at once. A one-shot command fails with exit 69.
   */
  waitForDatabase?: boolean;
}

/**
 * The one way a command gets services: the same composition as the server (createContainer), opened
 * on the store the server uses, handed to `fn`, and always closed through container.close().
 */
export async function withContainer<T>(
  fn: (container: Container) => Promise<T>,
  options: CliContainerOptions = {},
): Promise<T> {
  const config = options.config ?? loadConfig();
  const level = options.logLevel === 'config' ? config.LOG_LEVEL : (process.env.LOG_LEVEL ?? 'warn');
  const logger = createLogger(level);
  if (config.DATABASE_URL && options.waitForDatabase) await waitForPostgres(config.DATABASE_URL, logger);
  const container = await createContainer(config, { logger, migrate: options.migrate ?? true }).catch(
    (error: unknown) => {
      if (!config.DATABASE_URL || !isDependencyUnavailable(error)) throw error;
      // A refused connection to every address of a host is an AggregateError with no message of its own.
      const reason = (error instanceof Error && error.message) || (error as { code?: string }).code || String(error);
      return fail(
        `PostgreSQL is not reachable at ${describeUrl(config.DATABASE_URL)} (${reason}); start it or fix DATABASE_URL, then run the command again`,
        EXIT_DATABASE_UNREACHABLE,
      );
    },
  );
  try {
    return await fn(container);
  } finally {
    await container.close();
  }
}

export function fail(message: string, code = 1): never {
  console.error(`error: ${message}`);
  process.exit(code);
}
