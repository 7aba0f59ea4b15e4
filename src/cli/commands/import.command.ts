import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { AppError } from '../../platform/errors/app-error.js';
import { BodyIntake, type BatchItemResult } from '../../modules/ingest/index.js';
import type { ParsedBody, PayloadFormat } from '../../modules/ingest/index.js';
import { DEMO_TENANT } from '../../modules/tenancy/index.js';
import { fail, withContainer } from '../cli-context.js';

interface ImportOptions {
  provider?: string;
  tenant: string;
  json?: boolean;
}

interface FileSummary {
  file: string;
  records: number;
  normalized: number;
  ignored: number;
  unprocessed: number;
  duplicates: number;
  failed: number;
  error?: string;
}

const byExtension: Record<string, PayloadFormat> = {
  '.json': 'json',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.csv': 'csv',
  '.xml': 'xml',
};

/** The format from the file's extension, else from its first characters. */
export function detectFormat(file: string, text: string): PayloadFormat {
  const known = byExtension[extname(file).toLowerCase()];
  if (known) return known;
  const start = text.trimStart();
  if (start.startsWith('<')) return 'xml';
  if (start.startsWith('[')) return 'json';
  if (start.startsWith('{')) {
    try {
      JSON.parse(text);
      return 'json';
    } catch {
      return 'ndjson';
    }
  }
  return 'csv';
}

function tally(file: string, records: number, items: BatchItemResult[]): FileSummary {
  const summary: FileSummary = { file, records, normalized: 0, ignored: 0, unprocessed: 0, duplicates: 0, failed: 0 };
  for (const item of items) {
    if (item.status === 200) summary.duplicates++;
    else if (item.status !== 201) summary.failed++;
    else if (item.rawEvent?.status === 'normalized') summary.normalized++;
    else if (item.rawEvent?.status === 'ignored') summary.ignored++;
    else summary.unprocessed++;
  }
  return summary;
}

const columns = ['file', 'records', 'normalized', 'ignored', 'unprocessed', 'duplicates', 'failed'] as const;

function printTable(rows: FileSummary[]): void {
  const total: FileSummary = rows.reduce(
    (t, r) => ({
      ...t,
      records: t.records + r.records,
      normalized: t.normalized + r.normalized,
      ignored: t.ignored + r.ignored,
      unprocessed: t.unprocessed + r.unprocessed,
      duplicates: t.duplicates + r.duplicates,
      failed: t.failed + r.failed,
    }),
    { file: 'total', records: 0, normalized: 0, ignored: 0, unprocessed: 0, duplicates: 0, failed: 0 },
  );
  const table = [...rows, total].map((r) => columns.map((c) => String(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  console.log(line([...columns]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table) console.log(line(row));
  for (const r of rows) if (r.error) console.error(`${r.file}: ${r.error}`);
}

/** `paylens import FILE…`: stores every record through the same intake as the API (source `cli`). */
export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .argument('<files...>', 'JSON (object or array), NDJSON, CSV (header row) or XML files')
    .option('--provider <id>', 'provider of every record (skips detection)')
    .option('--tenant <name>', 'tenant to import into', DEMO_TENANT)
    .option('--json', 'print the summary as JSON')
    .description('import payment events from files into the store; exits non-zero when any event could not be stored')
    .action(async (files: string[], opts: ImportOptions) => {
      const code = await withContainer(async (c) => {
        const bodies = new BodyIntake(c);
        try {
          bodies.checkProviderHint(opts.provider);
        } catch (error) {
          fail(error instanceof AppError ? (error.detail ?? error.message) : String(error), 2);
        }
        const tenant =
          (await c.tenants.findByName(opts.tenant)) ??
          (opts.tenant === DEMO_TENANT ? await c.tenants.create(DEMO_TENANT) : null);
        if (!tenant) fail(`no tenant named ${opts.tenant}`, 2);

        const parsed: { file: string; body: ParsedBody | null; error?: string }[] = [];
        for (const file of files) {
          try {
            const text = await readFile(file, 'utf8');
            parsed.push({ file, body: bodies.parse(text, detectFormat(file, text), true) });
          } catch (error) {
            parsed.push({
              file,
              body: null,
              error:
                error instanceof AppError
                  ? (error.detail ?? error.message)
                  : error instanceof Error
                    ? error.message
                    : String(error),
            });
          }
        }
        const total = parsed.reduce((n, p) => n + (p.body?.records.length ?? 0), 0);
        const bar =
          process.stdout.isTTY && !opts.json
            ? new SingleBar(
                { format: 'importing [{bar}] {percentage}% | {value}/{total} events | {eta}s left', hideCursor: true },
                Presets.shades_classic,
              )
            : null;
        bar?.start(total, 0);
        const summaries: FileSummary[] = [];
        for (const p of parsed) {
          if (!p.body) {
            summaries.push({
              file: p.file,
              records: 0,
              normalized: 0,
              ignored: 0,
              unprocessed: 0,
              duplicates: 0,
              failed: 0,
              error: p.error ?? 'unreadable',
            });
            continue;
          }
          const result = await bodies.ingestParsed(
            { tenantId: tenant.id, source: 'cli', providerHint: opts.provider },
            p.body,
            { onItem: () => bar?.increment() },
          );
          summaries.push(tally(p.file, p.body.records.length, result.items));
        }
        bar?.stop();
        if (opts.json) console.log(JSON.stringify({ tenant: tenant.name, files: summaries }));
        else printTable(summaries);
        return summaries.some((s) => s.failed > 0 || s.error) ? 1 : 0;
      });
      process.exitCode = code;
    });
}
