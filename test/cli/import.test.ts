import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  charge,
  declinedCharge,
  stripeEvent,
} from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function paylens(dataDir: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/paylens.js'), ...args], {
      cwd: root,
      env: {
        ...process.env,
        PAYLENS_CLI_FROM_SOURCE: '1',
        PAYLENS_DATA_DIR: dataDir,
        DATABASE_URL: '',
        LOG_LEVEL: 'warn',
        PAYLENS_CUSTOMER_KEY_SALT: 'cli-test-salt-0123456789',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('paylens import', () => {
  let dir: string;
  let dataDir: string;
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'paylens-import-'));
    dataDir = join(dir, 'data');
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports JSON, NDJSON, CSV and XML files through the intake and reports a summary', async () => {
    const files = [
      file(
        'stripe.json',
        JSON.stringify([
          stripeEvent('charge.succeeded', charge()),
          stripeEvent('charge.failed', declinedCharge('expired_card')),
        ]),
      ),
      file(
        'mixed.ndjson',
        `${JSON.stringify(stripeEvent('customer.created', { id: 'cus_1', object: 'customer' }))}\n{"note":"nothing to see"}\n`,
      ),
      file(
        'sales.csv',
        'transaction_id,valor,moeda,situacao,data\nT-1,"10,50",BRL,aprovado,24/11/2026\nT-2,7.25,EUR,declined,2026-11-24T09:00:00Z\n',
      ),
      file(
        'single.txt',
        '<payment><id>X-1</id><amount>3.00</amount><currency>GBP</currency><status>refunded</status><created>1732445000</created></payment>',
      ),
    ];
    const first = await paylens(dataDir, ['import', ...files, '--json']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(summary.tenant).toBe('demo');
    expect(
      summary.files.map(
        (f: { records: number; normalized: number; ignored: number; unprocessed: number; failed: number }) => [
          f.records,
          f.normalized,
          f.ignored,
          f.unprocessed,
          f.failed,
        ],
      ),
    ).toEqual([
      [2, 2, 0, 0, 0],
      [2, 0, 1, 1, 0],
      [2, 2, 0, 0, 0],
      [1, 1, 0, 0, 0],
    ]);

    // The same files again are all duplicates, shown in the human table.
    const again = await paylens(dataDir, ['import', ...files]);
    expect(again.code).toBe(0);
    const lines = again.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^file\s+records\s+normalized\s+ignored\s+unprocessed\s+duplicates\s+failed$/);
    expect(lines.at(-1)).toMatch(/^total\s+7\s+0\s+0\s+0\s+7\s+0$/);
    // No progress bar when stdout is not a terminal.
    expect(again.stdout).not.toContain('importing [');
  }, 120_000);

  it('exits non-zero when an event cannot be stored or a file cannot be parsed', async () => {
    const bad = file('bad.json', '[{"amount":"1.00","currency":"USD","status":"paid","id":"ok-1"}, 42]');
    const broken = file('broken.csv', 'id,amount\n1,2,3\n');
    const run = await paylens(dataDir, ['import', bad, broken, '--json']);
    expect(run.code).toBe(1);
    const summary = JSON.parse(run.stdout);
    expect(summary.files[0]).toMatchObject({ records: 2, normalized: 1, failed: 1 });
    expect(summary.files[1]).toMatchObject({ records: 0, error: expect.stringContaining('line 2') });
    const unknownProvider = await paylens(dataDir, ['import', bad, '--provider', 'nopay']);
    expect(unknownProvider.code).toBe(2);
    expect(unknownProvider.stderr).toContain('Unknown provider');
  }, 120_000);
});
