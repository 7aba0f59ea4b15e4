import type { TestProject } from 'vitest/node';
import { findChromium, startPostgres, startRedis, type RunningProcess } from './processes.js';
import { installHint, missingDependencies, requiredByCi } from './system-dependencies.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | null;
    redisUrl: string | null;
    chromiumPath: string | null;
  }
}

/**
 * Starts one real PostgreSQL and one real Redis for the whole run; each test file makes its own
 * database. Under CI=true a missing program fails the run here, before any test is skipped for it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const missing = missingDependencies();
  if (requiredByCi() && missing.length > 0) {
    throw new Error(`CI=true requires every system dependency of the tests: ${missing.map(installHint).join('; ')}`);
  }
  const running: RunningProcess[] = [];
  const start = async (process: () => Promise<RunningProcess>) => {
    const started = await process();
    running.push(started);
    return started.url;
  };
  const stopAll = async () => {
    await Promise.all(running.map((p) => p.stop()));
  };
  try {
    project.provide('postgresUrl', missing.includes('postgres') ? null : await start(startPostgres));
    project.provide('redisUrl', missing.includes('redis') ? null : await start(startRedis));
  } catch (error) {
    await stopAll();
    throw error;
  }
  project.provide('chromiumPath', findChromium());
  return stopAll;
}
