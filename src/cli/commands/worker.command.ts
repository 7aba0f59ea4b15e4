import { hostname } from 'node:os';
import type { Command } from 'commander';
import { runUntilSignal } from '../../platform/jobs/run-until-signal.js';
import { WorkerHeartbeat } from '../../platform/jobs/worker-heartbeat.js';
import { withContainer } from '../cli-context.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'retry the normalization of unprocessed events with backoff; dead-letter them after MAX_ATTEMPTS (stops gracefully on SIGTERM)',
    )
    .option('--once', 'run passes until nothing is due, then exit')
    .action(async (opts: { once?: boolean }) => {
      if (opts.once) {
        await withContainer(async (c) => {
          let total = 0;
          for (let handled = await c.retryWorker.runOnce(); handled > 0; handled = await c.retryWorker.runOnce())
            total += handled;
          console.log(`retried ${total} event(s)`);
        });
        return;
      }
      await withContainer(
        (c) => {
          // Every API instance's readiness reports whether a worker is beating (see docs/operations.md).
          const heartbeat = new WorkerHeartbeat(c.db, `${hostname()}:${process.pid}`, c.logger);
          heartbeat.start();
          const close = async () => {
            await heartbeat.stop();
            await c.close();
          };
          return runUntilSignal(c.retryWorker, close, c.logger, 'retry worker');
        },
        { logLevel: 'config', waitForDatabase: true },
      );
    });
}
