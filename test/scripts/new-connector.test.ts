import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm run new:connector` run against a copy of src/, so the generated folder sits where a real one
 * would (its relative imports reach the real connector vocabulary) without touching the repository.
 */
const repo = resolve(import.meta.dirname, '../..');
/** A compiler run and a child vitest: tens of seconds on a busy machine. */
const CHILD_PROCESS_TIMEOUT_MS = 180_000;
const script = join(repo, 'scripts/new-connector.ts');
let work: string;
let connectors: string;
let created: ReturnType<typeof scaffold>;

function scaffold(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', script, ...args, '--into', connectors], {
    cwd: repo,
    encoding: 'utf8',
  });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'paylens-new-connector-'));
  cpSync(join(repo, 'src'), join(work, 'src'), { recursive: true });
  cpSync(join(repo, 'package.json'), join(work, 'package.json'));
  symlinkSync(join(repo, 'node_modules'), join(work, 'node_modules'), 'dir');
  connectors = join(work, 'src/modules/normalize/connectors');
  created = scaffold('acmepay');
}, CHILD_PROCESS_TIMEOUT_MS);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm run new:connector', () => {
  it('creates the four connector files, a test and a sample delivery, and says how to register it', () => {
    expect(created.status, created.stderr).toBe(0);
    expect(created.stdout).toContain('add it to allConnectors');
    const dir = join(connectors, 'acmepay');
    expect(readdirSync(dir).sort()).toEqual([
      '__fixtures__',
      'acmepay.codes.ts',
      'acmepay.connector.test.ts',
      'acmepay.connector.ts',
      'acmepay.events.ts',
      'acmepay.signature.ts',
    ]);
    expect(readdirSync(join(dir, '__fixtures__'))).toEqual(['payment.failed.json']);
    // Nothing registers it: detection keeps the connectors it had.
    expect(readFileSync(join(connectors, 'index.ts'), 'utf8')).not.toContain('acmepay');
  });

  it(
    'generates files that typecheck under the project settings and a test that passes',
    () => {
      writeFileSync(
        join(work, 'tsconfig.json'),
        JSON.stringify({
          extends: join(repo, 'tsconfig.json'),
          compilerOptions: { rootDir: '.' },
          include: ['src/modules/normalize/connectors/acmepay'],
        }),
      );
      const tsc = join(repo, 'node_modules/typescript/bin/tsc');
      // execFileSync throws with the compiler's diagnostics on any type error.
      execFileSync(process.execPath, [tsc, '--noEmit', '-p', join(work, 'tsconfig.json')], { encoding: 'utf8' });
      const vitest = join(repo, 'node_modules/vitest/vitest.mjs');
      const run = spawnSync(
        process.execPath,
        [vitest, 'run', '--root', work, 'src/modules/normalize/connectors/acmepay'],
        {
          encoding: 'utf8',
        },
      );
      const output = stripVTControlCharacters(run.stdout + run.stderr);
      expect(run.status, output).toBe(0);
      expect(output).toMatch(/Tests\s+6 passed \(6\)/);
    },
    CHILD_PROCESS_TIMEOUT_MS,
  );

  it('refuses an existing folder without touching it', () => {
    const file = join(connectors, 'stripe', 'stripe.connector.ts');
    const before = readFileSync(file, 'utf8');
    const run = scaffold('stripe');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('already exists');
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it.each(['Acme', '1acme', 'acme-pay', 'acme_pay', '../escape', 'a', 'acme/pay'])('refuses the name %j', (name) => {
    const run = scaffold(name);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('is not a connector name');
    expect(readdirSync(connectors)).not.toContain(name);
    expect(existsSync(resolve(connectors, name))).toBe(false);
  });
});
