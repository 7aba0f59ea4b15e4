import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createContainer } from '../../src/container.js';
import { configFor } from '../harness/app.js';
import { postgresCluster } from '../harness/processes.js';
import { until } from './faults-processes.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function cliEnv(databaseUrl: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    MAX_ATTEMPTS: '2',
    WORKER_POLL_MS: '50',
    PAYLENS_CUSTOMER_KEY_SALT: 'test-salt-0123456789',
  };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
  });
}

describe('paylens worker and CLI with PostgreSQL down at start', { tags: ['postgres'] }, () => {
  it(
    'the worker retries with backoff and processes events once PostgreSQL appears; a one-shot command fails at once with exit 69',
    { timeout: 240_000 },
    async () => {
      const postgres = await postgresCluster();
      cleanup.push(() => postgres.destroy());

      const worker = spawn(process.execPath, ['--import', 'tsx', 'src/entrypoints/cli.ts', 'worker'], {
        env: cliEnv(postgres.url),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      worker.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      worker.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      cleanup.push(async () => {
        worker.kill('SIGKILL');
        await exited(worker);
      });
      const lines = () =>
        out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { msg?: string; attempt?: number; delayMs?: number });
      const attempts = () => lines().filter((l) => l.msg?.startsWith('database not reachable'));
      const alive = () => (worker.exitCode === null && worker.signalCode === null ? true : null);

      // A one-shot command does not wait: it names the database and exits 69 (EX_UNAVAILABLE), so a
      // scheduler can tell "try again later" from a failed run (1) or a bad setting (2).
      const oneShot = spawnSync(process.execPath, ['--import', 'tsx', 'src/entrypoints/cli.ts', 'tenants', 'list'], {
        env: cliEnv(postgres.url),
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(oneShot.status, oneShot.stderr).toBe(69);
      const where = new URL(postgres.url);
      expect(oneShot.stderr).toContain(
        `error: PostgreSQL is not reachable at ${where.hostname}:${where.port}/postgres`,
      );
      expect(oneShot.stderr).toContain('ECONNREFUSED');
      expect(oneShot.stderr).not.toMatch(/^\s+at /m);

      await until(
        async () => (attempts().length >= 3 && alive() ? true : null),
        60_000,
        `three logged attempts from the waiting worker:\n${out}`,
      );
      expect(alive()).toBe(true);
      const delays = attempts().map((a) => a.delayMs ?? 0);
      expect(attempts().map((a) => a.attempt)).toEqual(attempts().map((_, i) => i + 1));
      expect(delays[2]!).toBeGreaterThan(delays[0]!);
      expect(lines().some((l) => l.msg === 'worker: running')).toBe(false);

      const databaseAt = Date.now();
      await postgres.start();
      await until(
        async () => (lines().some((l) => l.msg === 'worker: running') ? true : null),
        90_000,
        `the worker to start after PostgreSQL did:\n${out}`,
      );
      const runningAfterMs = Date.now() - databaseAt;

      // The worker migrated the database it waited for; an event no connector claims is its to retry.
      const container = await createContainer(await configFor('pglite', { DATABASE_URL: postgres.url }));
      cleanup.push(() => container.close());
      const tenant = (await container.tenants.create('late-database'))!;
      const ingested = await container.intake.ingest({
        tenantId: tenant.id,
        source: 'api',
        body: '{"unknown":"shape"}',
        contentType: 'application/json',
      });
      const dead = await until(
        async () => {
          const raw = await container.rawEvents.findById(tenant.id, ingested.rawEvent.id);
          return raw?.status === 'dead' ? raw : null;
        },
        60_000,
        `the worker to retry the event:\n${out}`,
      );
      expect(dead.attempts).toBe(2);
      // Its heartbeat is what every API instance's readiness reads.
      const beats = await sql<{
        n: string;
      }>`select count(*) as n from settings where key like 'worker_heartbeat:%'`.execute(container.db);
      expect(Number(beats.rows[0]!.n)).toBe(1);

      worker.kill('SIGTERM');
      expect(await exited(worker)).toBe(0);
      console.log(
        `drill: worker waited through ${attempts().length} attempts; running ${runningAfterMs} ms after PostgreSQL started`,
      );
    },
  );
});
