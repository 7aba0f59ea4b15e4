import type { TestTagDefinition } from 'vitest/config';
import type { Reporter, TestModule } from 'vitest/node';
import { findChromium, findHaproxy, findPostgresBin, findPromtool, findRedisServer } from './processes.js';

/**
 * The system programs some suites need. A test that needs one carries its name as a tag:
 * `describe('…', { tags: ['redis'] }, …)`. Without the program the tag skips the test, except under
 * CI=true, where the global setup fails the run instead.
 */
export type SystemDependency = 'postgres' | 'redis' | 'chromium' | 'haproxy' | 'promtool';

declare module 'vitest' {
  interface TestTags {
    system: SystemDependency;
  }
}

const DEPENDENCIES: Record<SystemDependency, { label: string; debianPackage: string; find: () => string | null }> = {
  postgres: { label: 'PostgreSQL', debianPackage: 'postgresql', find: findPostgresBin },
  redis: { label: 'Redis', debianPackage: 'redis-server', find: findRedisServer },
  chromium: { label: 'Chromium', debianPackage: 'chromium', find: findChromium },
  haproxy: { label: 'HAProxy', debianPackage: 'haproxy', find: findHaproxy },
  promtool: { label: 'promtool', debianPackage: 'prometheus', find: findPromtool },
};

const ALL = Object.keys(DEPENDENCIES) as SystemDependency[];

export const requiredByCi = () => process.env.CI === 'true';

export function missingDependencies(): SystemDependency[] {
  return ALL.filter((d) => !DEPENDENCIES[d].find());
}

export function installHint(dependency: SystemDependency): string {
  const { label, debianPackage } = DEPENDENCIES[dependency];
  return `${label} not found — apt-get install ${debianPackage}`;
}

/** One tag per dependency; a tag skips its tests while the dependency is missing (never under CI). */
export function dependencyTags(): TestTagDefinition[] {
  const missing = requiredByCi() ? [] : missingDependencies();
  return ALL.map((name) => ({
    name,
    description: `needs ${DEPENDENCIES[name].label} (apt-get install ${DEPENDENCIES[name].debianPackage})`,
    skip: missing.includes(name),
  }));
}

/**
 * Ends the run with one line per missing dependency saying what was skipped and what to install,
 * so a skipped suite is never mistaken for a passing one.
 */
export class MissingDependencyReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    if (requiredByCi()) return;
    for (const dependency of missingDependencies()) {
      const files = new Set<string>();
      let tests = 0;
      for (const module of testModules) {
        for (const test of module.children.allTests('skipped')) {
          if (!test.tags.includes(dependency)) continue;
          tests += 1;
          files.add(module.moduleId);
        }
      }
      // The store tests drop their PostgreSQL half (see storeKinds), so that line is never left out.
      if (dependency === 'postgres')
        process.stdout.write(
          `skipping ${tests} tests in ${files.size} files and the store tests' PostgreSQL runs: ${installHint(dependency)}\n`,
        );
      else if (tests > 0)
        process.stdout.write(`skipping ${tests} tests in ${files.size} files: ${installHint(dependency)}\n`);
    }
  }
}
