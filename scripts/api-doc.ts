/**
 * `npm run docs:api`: writes docs/api.md (every route with its summary) and docs/openapi.json from
 * the route schemas, so the reference never drifts from the code.
 */
import { writeFileSync } from 'node:fs';
import { buildApp } from '../src/app.js';
import { createContainer } from '../src/container.js';
import { loadConfig } from '../src/platform/config/config.js';

const container = await createContainer(
  loadConfig({ PAYLENS_DATA_DIR: 'memory://', LOG_LEVEL: 'silent', API_DOCS: 'true' }),
);
const app = await buildApp(container, { logger: false });
await app.ready();
const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
  paths: Record<string, Record<string, { summary?: string; tags?: string[] }>>;
};
await app.close();
await container.close();

const rows: string[] = [];
for (const [path, operations] of Object.entries(spec.paths)) {
  for (const [method, op] of Object.entries(operations)) {
    rows.push(`| ${op.tags?.[0] ?? ''} | \`${method.toUpperCase()} ${path}\` | ${op.summary ?? ''} |`);
  }
}
rows.sort();
writeFileSync('docs/openapi.json', `${JSON.stringify(spec, null, 2)}\n`);
writeFileSync(
  'docs/api.md',
  `# API reference\n\nGenerated from the route schemas by \`npm run docs:api\`; the full OpenAPI 3 document is\n[docs/openapi.json](openapi.json) and is served live at \`/docs\` (JSON at \`/docs/json\`).\nAll \`/v1\` routes take \`Authorization: Bearer pl_…\` except webhook deliveries (authenticated by\nendpoint id and provider signature); errors are RFC 9457 problem+json with a stable \`code\`.\nThe live feed is a WebSocket at \`GET /ws\` (see the README).\n\n| area | route | what it does |\n|---|---|---|\n${rows.join('\n')}\n`,
);
process.stdout.write(`docs/api.md: ${rows.length} operations\n`);
