import type { TestProject } from 'vitest/node';
import { findPostgresBin, findRedisServer, startPostgres, startRedis, type RunningProcess } from './processes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | null;
    redisUrl: string | null;
  }
}

/**
 * Starts one real PostgreSQL and one real Redis for the whole run; each test file makes its own
 * database. Under CI=true a missing binary is an error, never a silent skip.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const strict = process.env.CI === 'true';
  const running: RunningProcess[] = [];
  let postgresUrl: string | null = null;
  let redisUrl: string | null = null;
  if (findPostgresBin() || strict) {
    const pg = await startPostgres();
    running.push(pg);
    postgresUrl = pg.url;
  }
  if (findRedisServer() || strict) {
    const redis = await startRedis();
    running.push(redis);
    redisUrl = redis.url;
  }
  project.provide('postgresUrl', postgresUrl);
  project.provide('redisUrl', redisUrl);
  return async () => {
    await Promise.all(running.map((p) => p.stop()));
  };
}
