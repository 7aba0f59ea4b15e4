import { hostname } from 'node:os';
import type { Command } from 'commander';
import { runUntilSignal } from '../../platform/jobs/run-until-signal.js';
import { WorkerHeartbeat } from '../../platform/jobs/worker-heartbeat.js';
import { withContainer } from '../cli-context.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'normalize and score queued events (accepted with Prefer: respond-async); retry the normalization of unprocessed events with backoff, dead-lettering them after MAX_ATTEMPTS (stops gracefully on SIGTERM)',
    )
    .option('--once', 'run passes until nothing is queued or due, then exit')
    .action(async (opts: { once?: boolean }) => {
      if (opts.once) {
        await withContainer(async (c) => {
          let queued = 0;
          for (let handled = await c.queueWorker.runOnce(); handled > 0; handled = await c.queueWorker.runOnce())
            queued += handled;
          let total = 0;
          for (let handled = await c.retryWorker.runOnce(); handled > 0; handled = await c.retryWorker.runOnce())
            total += handled;
          console.log(`settled ${queued} queued event(s); retried ${total} event(s)`);
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
          const loops = {
            start: () => {
              c.queueWorker.start();
              c.retryWorker.start();
            },
            stop: () => Promise.all([c.queueWorker.stop(), c.retryWorker.stop()]).then(() => undefined),
          };
          return runUntilSignal(loops, close, c.logger, 'worker');
        },
        { logLevel: 'config', waitForDatabase: true },
      );
    });
}
