import { z } from 'zod';
import type { QueryExecutorProvider } from 'kysely';
import type { Registry } from 'prom-client';
import { safeEqual } from '../crypto/hashing.js';
import { pingDatabase } from '../db/client.js';
import { AppError } from '../errors/app-error.js';
import { PROBLEM_CONTENT_TYPE, problemBody } from '../errors/problem-handler.js';
import { bearerToken } from './bearer.js';
import type { App } from './types.js';

type CheckResult = { status: 'ok'; latencyMs: number } | { status: 'down'; error: string };

async function timed(check: () => Promise<void>): Promise<CheckResult> {
  const started = performance.now();
  try {
    await check();
    return { status: 'ok', latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  } catch (error) {
    return { status: 'down', error: error instanceof Error ? error.message : String(error) };
  }
}

/** What the operations routes read: the database to ping and the metrics registry (behind its token when one is set). */
export interface HealthDeps {
  db: QueryExecutorProvider;
  metricsRegistry: Registry;
  metricsToken: string | undefined;
}

export async function healthRoutes(app: App, deps: HealthDeps): Promise<void> {
  app.get(
    '/health/live',
    {
      schema: {
        summary: 'Liveness: the process answers',
        tags: ['operations'],
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({
      status: 'ok' as const,
    }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        summary: 'Readiness: the database answers (503 problem+json with per-check detail when not)',
        tags: ['operations'],
      },
    },
    async (request, reply) => {
      const checks: Record<string, CheckResult> = {
        database: await timed(() => pingDatabase(deps.db, 2000)),
      };
      const down = Object.entries(checks).filter(([, c]) => c.status === 'down');
      if (down.length === 0) return { status: 'ok', checks };
      return reply
        .code(503)
        .type(PROBLEM_CONTENT_TYPE)
        .send(problemBody('unavailable', request, `Not ready: ${down.map(([n]) => n).join(', ')} down`, { checks }));
    },
  );

  // Without a token, /metrics is not on this (public) port at all: server.ts serves it on METRICS_HOST:METRICS_PORT.
  const { metricsToken, metricsRegistry } = deps;
  if (metricsToken) {
    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      const token = bearerToken(request);
      if (!token || !safeEqual(token, metricsToken))
        throw new AppError('unauthorized', 'Send METRICS_TOKEN as Authorization: Bearer …');
      reply.type(metricsRegistry.contentType);
      return metricsRegistry.metrics();
    });
  }
}
