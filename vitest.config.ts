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
    // The coverage gate: on under CI=true (.ci/run runs `npm test`), so a local `npm test` stays as fast as it was;
    // `npx vitest run --coverage` measures locally. Product code is src/ (the server, worker and CLI); bench/,
    // scripts/, web/ (the dashboard, built by Vite) and the test harness are not. Code that only runs inside the
    // child processes some tests start is not seen by V8 here and counts as uncovered.
    coverage: {
      enabled: process.env.CI === 'true',
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['src/**/*.test.ts', 'src/**/*.testing.ts', 'src/**/__fixtures__/**'],
      reporter: ['text-summary', 'json-summary'],
      thresholds: { lines: 85, branches: 75 },
    },
  },
});
