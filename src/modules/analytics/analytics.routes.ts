import { z } from 'zod';
import type { Container } from '../../container.js';
import { fieldError, type AppError } from '../../platform/errors/app-error.js';
import { problemResponses, type App } from '../../platform/http/types.js';
import { eventStatuses } from '../normalize/index.js';
import { tenantOf } from '../tenancy/index.js';
import { alertRoutes } from './alerts/alerts.routes.js';
import {
  groupByColumns,
  intervalFor,
  MAX_POINTS,
  metrics,
  type SeriesRefusal,
  type Window,
} from './analytics.service.js';
import { granularities } from './time-ranges.js';

const DEFAULT_WINDOW_MS = 24 * 3_600_000;

const providerList = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) =>
    v === undefined
      ? undefined
      : (Array.isArray(v) ? v : [v])
          .flatMap((p) => p.split(','))
          .map((p) => p.trim().toLowerCase())
          .filter(Boolean),
  )
  .pipe(z.array(z.string().min(1).max(64)).max(20).optional())
  .describe('Provider(s): repeat the parameter or separate with commas');

const windowShape = {
  from: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('Inclusive, on the provider event time; default: `to` − 24 h. Resolved to the minute.'),
  to: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('Exclusive; default: now. Resolved up to the end of its minute.'),
};

const windowOrder = {
  check: (q: { from?: string | undefined; to?: string | undefined }) =>
    !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to),
  message: { message: '`from` must be before `to`', path: ['from'] },
};

function windowOf(query: { from?: string | undefined; to?: string | undefined }, now: Date): Window {
  const to = query.to ? new Date(query.to) : now;
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - DEFAULT_WINDOW_MS);
  return { from, to };
}

const summarySchema = z.object({
  from: z.string(),
  to: z.string(),
  count: z.number().int(),
  approvalRate: z.number().nullable().describe('approved ÷ (approved + declined + failed); null when there were none'),
  volumeUsdMinor: z.number().int(),
  averageTicketUsdMinor: z.number().int().nullable(),
  byStatus: z.record(z.string(), z.number().int()).describe(`Counts per status (${eventStatuses.join(', ')})`),
  ingestionLagMs: z
    .object({ p50: z.number().nullable(), p95: z.number().nullable() })
    .describe('receivedAt − occurredAt, estimated from a histogram'),
  riskDecisions: z.object({ approve: z.number().int(), review: z.number().int(), decline: z.number().int() }),
});

const seriesSchema = z.object({
  metric: z.enum(metrics),
  interval: z.enum(granularities),
  groupBy: z.enum(Object.keys(groupByColumns) as [keyof typeof groupByColumns]).nullable(),
  from: z.string(),
  to: z.string(),
  series: z.array(
    z.object({
      key: z.string().nullable().describe('The group value; `all` without groupBy, null for "none"'),
      points: z.array(z.object({ t: z.string(), value: z.number().nullable() })),
    }),
  ),
});

const failureReasonsSchema = z.object({
  data: z.array(
    z.object({
      reason: z.string(),
      count: z.number().int(),
      share: z.number(),
      declineType: z.string().nullable().describe('The most common decline type for the reason'),
    }),
  ),
});

function refusal(refused: SeriesRefusal): AppError {
  return fieldError(
    'querystring.interval',
    refused.refused === 'minutes_pruned'
      ? `minute resolution is kept from ${new Date(refused.horizon).toISOString()} on; use interval=hour for earlier windows`
      : `the window holds more than ${MAX_POINTS} points at this interval; choose a coarser interval or a shorter window`,
  );
}

/** Analytics (from the rollups) and alerts: one plugin for the /v1 scope. */
export async function analyticsRoutes(app: App, container: Container): Promise<void> {
  const { queries } = container.analytics;
  const tags = ['analytics'];

  app.get(
    '/analytics/summary',
    {
      schema: {
        summary: 'Payment health over a window',
        description:
          'Counts, approval rate, USD volume, ingestion lag and risk decisions, from the rollups (default window: the last 24 h).',
        tags,
        querystring: z
          .object({ ...windowShape, provider: providerList })
          .refine(windowOrder.check, windowOrder.message),
        response: { 200: summarySchema, ...problemResponses(401, 422) },
      },
    },
    async (request) =>
      queries.summary(tenantOf(request), windowOf(request.query, container.clock()), {
        providers: request.query.provider,
      }),
  );

  app.get(
    '/analytics/timeseries',
    {
      schema: {
        summary: 'A metric over time, optionally split by one dimension',
        description: `Points are dense (empty buckets are 0, or null for approval_rate). At most ${MAX_POINTS} points per series.`,
        tags,
        querystring: z
          .object({
            ...windowShape,
            metric: z.enum(metrics).default('count'),
            interval: z.enum(granularities).default('hour'),
            groupBy: z.enum(Object.keys(groupByColumns) as [keyof typeof groupByColumns]).optional(),
            provider: providerList,
          })
          .refine(windowOrder.check, windowOrder.message),
        response: { 200: seriesSchema, ...problemResponses(401, 422) },
      },
    },
    async (request) => {
      const q = request.query;
      const window = windowOf(q, container.clock());
      const series = await queries.timeseries(tenantOf(request), window, q.metric, q.interval, q.groupBy ?? null, {
        providers: q.provider,
      });
      if ('refused' in series) throw refusal(series);
      return series;
    },
  );

  app.get(
    '/analytics/failure-reasons',
    {
      schema: {
        summary: 'Failure reasons ranked by count, with their share of all failures',
        tags,
        querystring: z
          .object({ ...windowShape, provider: providerList })
          .refine(windowOrder.check, windowOrder.message),
        response: { 200: failureReasonsSchema, ...problemResponses(401, 422) },
      },
    },
    async (request) => ({
      data: await queries.failureReasons(tenantOf(request), windowOf(request.query, container.clock()), {
        providers: request.query.provider,
      }),
    }),
  );

  app.get(
    '/analytics/providers/:provider',
    {
      schema: {
        summary: "One provider's health: summary, top failure reasons, approval rate over time",
        tags,
        params: z.object({ provider: z.string().min(1).max(64) }),
        querystring: z.object(windowShape).refine(windowOrder.check, windowOrder.message),
        response: {
          200: z.object({
            provider: z.string(),
            summary: summarySchema,
            failureReasons: failureReasonsSchema.shape.data,
            approvalRate: seriesSchema,
          }),
          ...problemResponses(401, 422),
        },
      },
    },
    async (request) => {
      const tenantId = tenantOf(request);
      const provider = request.params.provider.toLowerCase();
      const window = windowOf(request.query, container.clock());
      const filter = { providers: [provider] };
      const interval = intervalFor(queries.windowFor(window), queries.minuteHorizon());
      const [summary, reasons, approvalRate] = await Promise.all([
        queries.summary(tenantId, window, filter),
        queries.failureReasons(tenantId, window, filter),
        queries.timeseries(tenantId, window, 'approval_rate', interval, null, filter),
      ]);
      if ('refused' in approvalRate) throw refusal(approvalRate);
      return { provider, summary, failureReasons: reasons.slice(0, 10), approvalRate };
    },
  );

  await alertRoutes(app, container);
}
