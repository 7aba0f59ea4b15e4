#!/usr/bin/env node
// Runs the compiled CLI when present (after `npm run build`), otherwise the TypeScript source via tsx,
// so `npx paylens` works straight after `npm ci`.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist/src/entrypoints/cli.js');
if (existsSync(compiled) && !process.env.PAYLENS_CLI_FROM_SOURCE) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src/entrypoints/cli.ts')).href);
}
