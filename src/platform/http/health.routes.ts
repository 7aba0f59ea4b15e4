import { z } from 'zod';
import type { Registry } from 'prom-client';
import { safeEqual } from '../crypto/hashing.js';
import { AppError } from '../errors/app-error.js';
import { PROBLEM_CONTENT_TYPE, problemBody } from '../errors/problem-handler.js';
import { bearerToken } from './bearer.js';
import { readBuildInfo } from './health-build-info.js';
import { checkReadiness, type DependencyCheck } from './health-checks.js';
import type { App } from './types.js';

/** What the operations routes read: the dependency checks and the metrics registry (behind its token when one is set). */
export interface HealthDeps {
  checks: readonly DependencyCheck[];
  metricsRegistry: Registry;
  metricsToken: string | undefined;
}

const checkSchema = z.object({
  status: z.enum(['ok', 'down']),
  required: z.boolean(),
  latencyMs: z.number(),
  error: z.string().optional(),
});

export const liveSchema = z.object({
  status: z.literal('ok'),
  version: z.string(),
  commit: z.string().nullable(),
  uptimeS: z.number(),
});

/** The liveness body, shared with the listener that answers while the database is not reachable yet. */
export function liveness(build = readBuildInfo()): () => z.infer<typeof liveSchema> {
  return () => ({
    status: 'ok' as const,
    version: build.version,
    commit: build.commit,
    uptimeS: Math.round(process.uptime()),
  });
}

export async function healthRoutes(app: App, deps: HealthDeps): Promise<void> {
  const live = liveness();
  app.get(
    '/health/live',
    {
      schema: {
        summary: 'Liveness: the process answers (with its version and source commit)',
        tags: ['operations'],
        response: { 200: liveSchema },
      },
    },
    async () => live(),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        summary:
          'Readiness: every configured dependency checked. A required one down answers 503 problem+json; an optional one down, 200 with status degraded',
        tags: ['operations'],
        response: {
          200: z.object({ status: z.enum(['ok', 'degraded']), checks: z.record(z.string(), checkSchema) }),
          // problem+json, its `checks` saying which required dependency is down.
          503: z.record(z.string(), z.unknown()),
        },
      },
    },
    async (request, reply) => {
      const { status, checks } = await checkReadiness(deps.checks);
      if (status !== 'down') return { status, checks };
      const down = Object.entries(checks).filter(([, c]) => c.status === 'down' && c.required);
      return reply
        .code(503)
        .header('retry-after', '5')
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
