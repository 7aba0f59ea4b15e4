import { defineConfig } from 'vitest/config';
import { dependencyTags, MissingDependencyReporter } from './test/harness/system-dependencies.js';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // A test tagged 'postgres', 'redis' or 'chromium' is skipped when that program is missing (never under CI=true).
    tags: dependencyTags(),
    reporters: ['default', new MissingDependencyReporter()],
  },
});
