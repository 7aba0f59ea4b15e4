import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppError } from '../../platform/errors/app-error.js';
import type { App } from '../../platform/http/types.js';

/** Paths the dashboard must never shadow: unknown API URLs keep answering problem+json 404s. */
const RESERVED = /^\/(v1|docs|health|metrics|ws|admin)(\/|$|\?)/;

export function dashboardRoot(): string {
  return resolve(process.cwd(), 'web', 'dist');
}

/**
 * Serves the built dashboard at `/` with a single-page-app fallback to index.html. Without a build
 * (`npm run build:web` not run) the server starts all the same, API only.
 */
export async function dashboardStatic(app: App, root = dashboardRoot()): Promise<void> {
  if (!existsSync(join(root, 'index.html'))) {
    app.log.warn({ root }, 'dashboard not built (npm run build:web); serving the API only');
    return;
  }
  await app.register(fastifyStatic, { root, wildcard: false, index: ['index.html'], cacheControl: false });
  // Hashed assets are immutable; index.html must be revalidated so a new build is picked up.
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url.startsWith('/assets/')) reply.header('cache-control', 'public, max-age=31536000, immutable');
    return payload;
  });
  app.get('/*', { schema: { hide: true } }, (request, reply) => {
    if (RESERVED.test(request.url))
      throw new AppError('not_found', `No route for ${request.method} ${request.url.split('?')[0]}`);
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
}
