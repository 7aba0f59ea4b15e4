import { z } from 'zod';
import type { Container } from '../../container.js';
import { pingDatabase } from '../db/client.js';
import { PROBLEM_CONTENT_TYPE, problemBody } from '../errors/problem-handler.js';
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

export async function healthRoutes(app: App, container: Container): Promise<void> {
  app.get('/health/live', { schema: { summary: 'Liveness: the process answers', tags: ['operations'], response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({
    status: 'ok' as const,
  }));

  app.get('/health/ready', { schema: { summary: 'Readiness: the database answers (503 problem+json with per-check detail when not)', tags: ['operations'] } }, async (request, reply) => {
    const checks: Record<string, CheckResult> = {
      database: await timed(() => pingDatabase(container.db, 2000)),
    };
    const down = Object.entries(checks).filter(([, c]) => c.status === 'down');
    if (down.length === 0) return { status: 'ok', checks };
    return reply
      .code(503)
      .type(PROBLEM_CONTENT_TYPE)
      .send(problemBody('unavailable', request, `Not ready: ${down.map(([n]) => n).join(', ')} down`, { checks }));
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(container.metrics.registry.contentType);
    return container.metrics.registry.metrics();
  });
}
