/**
 * `npm run bench [-- name…]`: runs every benchmark in bench/ (or the named ones) and prints figures.
 * Each module exports `run()`; figures go to stdout for docs/benchmarks.md.
 */
import { existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const all = ['ingest', 'batch', 'risk', 'analytics', 'ws'];
const selected = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = selected.length > 0 ? selected : all;

console.log(`# Paylens benchmarks — ${new Date().toISOString()}`);
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);

for (const name of names) {
  const file = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  if (!existsSync(file)) {
    console.log(`\n(skipping ${name}: bench/${name}.ts is not built)`);
    continue;
  }
  const mod = (await import(file)) as { run: () => Promise<void> };
  await mod.run();
}
process.exit(0);
