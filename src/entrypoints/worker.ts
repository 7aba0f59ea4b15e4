import { createContainer } from '../container.js';
import { runUntilSignal } from '../modules/ingest/worker/run-until-signal.js';
import { ConfigError, loadConfig } from '../platform/config/config.js';

/** The standalone retry worker (scale it separately from the API when PostgreSQL is shared). */
async function main(): Promise<void> {
  const config = loadConfig();
  const container = await createContainer(config);
  await runUntilSignal(container.retryWorker, () => container.close(), container.logger, 'retry worker');
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
