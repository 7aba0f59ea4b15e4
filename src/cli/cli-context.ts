import { createContainer, type Container } from '../container.js';
import { loadConfig, type Config } from '../platform/config/config.js';
import { createLogger } from '../platform/logging/logger.js';

export interface CliContainerOptions {
  /** Run pending migrations first (the default). */
  migrate?: boolean;
  /** Another store than the environment's (the benchmark scores in a throwaway in-memory one). */
  config?: Config;
  /** Commands that run until a signal log at LOG_LEVEL; one-shot commands print only warnings unless LOG_LEVEL is set. */
  logLevel?: 'config' | 'quiet';
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
  const container = await createContainer(config, { logger: createLogger(level), migrate: options.migrate ?? true });
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
