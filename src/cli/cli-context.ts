import { createContainer, type Container } from '../container.js';
import { loadConfig } from '../platform/config/config.js';
import { createLogger } from '../platform/logging/logger.js';

/** Opens the store directly (the same one the server uses), runs `fn`, and always closes it. */
export async function withContainer<T>(
  fn: (container: Container) => Promise<T>,
  options: { migrate?: boolean } = {},
): Promise<T> {
  const config = loadConfig();
  const container = await createContainer(config, {
    logger: createLogger(process.env.LOG_LEVEL ?? 'warn'),
    migrate: options.migrate ?? true,
  });
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
