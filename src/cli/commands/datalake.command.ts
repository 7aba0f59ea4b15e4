import type { Command } from 'commander';
import { DatalakePoller } from '../../modules/ingest/index.js';
import { openLakeSource } from '../../modules/ingest/index.js';
import { PollingLoop } from '../../platform/jobs/polling-loop.js';
import { runUntilSignal } from '../../platform/jobs/run-until-signal.js';
import { loadConfig } from '../../platform/config/config.js';
import { fail, withContainer } from '../cli-context.js';

interface PollOptions {
  once?: boolean;
  tenant: string;
  pageSize: string;
  json?: boolean;
}

export function registerDatalakeCommands(program: Command): void {
  const datalake = program
    .command('datalake')
    .description('read payment payloads from a data lake table (raw_transactions in DATALAKE_DATABASE_URL)');
  datalake
    .command('poll')
    .description('ingest unprocessed raw_transactions rows, flagging each processed once Paylens stored it')
    .option('--once', 'read every unprocessed row once, then exit')
    .option('--tenant <name>', 'tenant the rows belong to', 'demo')
    .option('--page-size <n>', 'rows read per page', '500')
    .option('--json', 'print the summary as JSON (with --once)')
    .action(async (opts: PollOptions) => {
      const pageSize = Number(opts.pageSize);
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000)
        fail('--page-size must be an integer from 1 to 10000', 2);
      const config = loadConfig();
      if (!config.DATALAKE_DATABASE_URL) fail('DATALAKE_DATABASE_URL is not set', 2);
      const lakeUrl = config.DATALAKE_DATABASE_URL;
      // Polling until a signal, it waits for PostgreSQL as the server does; a single pass fails at once.
      const waitForDatabase = !opts.once;
      await withContainer(
        async (container) => {
          const source = openLakeSource(lakeUrl);
          try {
            const tenant = await container.tenants.findByName(opts.tenant);
            if (!tenant) throw new Error(`no tenant named ${opts.tenant}`);
            const poller = new DatalakePoller({
              source,
              intake: container.intake,
              registry: container.registry,
              tenantId: tenant.id,
              pageSize,
              logger: container.logger,
            });
            if (opts.once) {
              const summary = await poller.pollOnce();
              console.log(
                opts.json
                  ? JSON.stringify(summary)
                  : `read ${summary.read}, stored ${summary.stored}, already stored ${summary.replayed}, rejected ${summary.failed}`,
              );
              return;
            }
            const loop = new PollingLoop(async () => (await poller.pollOnce()).read, {
              pollMs: config.DATALAKE_POLL_INTERVAL_S * 1000,
              fullBatch: Number.POSITIVE_INFINITY,
              logger: container.logger,
              name: 'data lake poller',
            });
            await runUntilSignal(loop, () => container.close(), container.logger, 'data lake poller');
          } finally {
            await source.close();
          }
        },
        { waitForDatabase },
      );
    });
}
