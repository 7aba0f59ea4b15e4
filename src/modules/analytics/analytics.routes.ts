import { z } from 'zod';
import { ENCRYPTION_KEY_MISSING } from '../../platform/crypto/encryption-key.js';
import { AppError, fieldError } from '../../platform/errors/app-error.js';
import { problemResponses, type App } from '../../platform/http/types.js';
import { tenantOf } from '../tenancy/index.js';
import { alertSettingsSchema } from './alerts/alert-settings.js';
import type { AlertRepository } from './alerts/alert.repository.js';
import { presentAlert, type AlertService } from './alerts/alert.service.js';
import {
  alertSchema,
  deliverySchema,
  failureReasonsSchema,
  presentDelivery,
  providerList,
  seriesSchema,
  settingsOut,
  summarySchema,
  webhookIn,
  windowOrder,
  windowShape,
} from './analytics.schemas.js';
import {
  groupByColumns,
  intervalFor,
  MAX_POINTS,
  metrics,
  type AnalyticsService,
  type SeriesRefusal,
  type Window,
} from './analytics.service.js';
import { granularities } from './time-ranges.js';

const DEFAULT_WINDOW_MS = 24 * 3_600_000;

function windowOf(query: { from?: string | undefined; to?: string | undefined }, now: Date): Window {
  const to = query.to ? new Date(query.to) : now;
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - DEFAULT_WINDOW_MS);
  return { from, to };
}

function refusal(refused: SeriesRefusal): AppError {
  return fieldError(
    'querystring.interval',
    refused.refused === 'minutes_pruned'
      ? `minute resolution is kept from ${new Date(refused.horizon).toISOString()} on; use interval=hour for earlier windows`
      : `the window holds more than ${MAX_POINTS} points at this interval; choose a coarser interval or a shorter window`,
  );
}

/** What the analytics routes use: the rollup queries, the alerts, and the clock that ends a default window. */
export interface AnalyticsRoutesDeps {
  queries: AnalyticsService;
  alerts: AlertService;
  alertRepository: AlertRepository;
  clock: () => Date;
}

/** Analytics (from the rollups) and alerts: the module's one plugin, for the /v1 scope. */
export async function analyticsRoutes(app: App, deps: AnalyticsRoutesDeps): Promise<void> {
  const { queries, alerts, alertRepository, clock } = deps;
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
      queries.summary(tenantOf(request), windowOf(request.query, clock()), {
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
      const window = windowOf(q, clock());
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
      data: await queries.failureReasons(tenantOf(request), windowOf(request.query, clock()), {
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
      const window = windowOf(request.query, clock());
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

  const alertTags = ['alerts'];

  app.get(
    '/alerts',
    {
      schema: {
        summary: 'Alerts, newest first',
        tags: alertTags,
        querystring: z.object({
          status: z.enum(['open', 'resolved']).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: { 200: z.object({ data: z.array(alertSchema) }), ...problemResponses(401, 422) },
      },
    },
    async (request) => {
      const rows = await alertRepository.list(tenantOf(request), request.query.status, request.query.limit);
      return { data: rows.map((r) => presentAlert(r) as z.infer<typeof alertSchema>) };
    },
  );

  app.get(
    '/alerts/settings',
    {
      schema: {
        summary: "This tenant's alert thresholds and webhook",
        tags: alertTags,
        response: { 200: settingsOut, ...problemResponses(401) },
      },
    },
    async (request) => alerts.settings(tenantOf(request)),
  );

  app.put(
    '/alerts/settings',
    {
      config: { audit: 'alert_settings.update' },
      schema: {
        summary: "Replace this tenant's alert thresholds and webhook",
        description: 'Fields left out take their defaults.',
        tags: alertTags,
        body: alertSettingsSchema.extend({ webhook: webhookIn }),
        response: { 200: settingsOut, ...problemResponses(401, 422, 503) },
      },
    },
    async (request) => {
      const { webhook, ...settings } = request.body;
      const outcome = await alerts.putSettings(tenantOf(request), settings, webhook);
      if (outcome.kind === 'encryption_unavailable') throw new AppError('unavailable', ENCRYPTION_KEY_MISSING);
      if (outcome.kind === 'invalid_webhook_url') throw fieldError('body.webhook.url', outcome.message);
      return outcome.settings;
    },
  );

  app.get(
    '/alerts/deliveries',
    {
      schema: {
        summary: 'Alert webhook deliveries with their attempt log, newest first',
        tags: alertTags,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
        response: { 200: z.object({ data: z.array(deliverySchema) }), ...problemResponses(401, 422) },
      },
    },
    async (request) => ({
      data: (await alertRepository.listDeliveries(tenantOf(request), request.query.limit)).map(presentDelivery),
    }),
  );

  app.post(
    '/alerts/deliveries/:id/resend',
    {
      config: { audit: 'alert_delivery.resend' },
      schema: {
        summary: 'Send a delivery again now',
        tags: alertTags,
        params: z.object({ id: z.string().max(64) }),
        response: { 200: deliverySchema, ...problemResponses(401, 404) },
      },
    },
    async (request) => {
      const delivery = await alerts.resend(tenantOf(request), request.params.id);
      if (!delivery) throw new AppError('not_found', `No alert delivery ${request.params.id}`);
      return presentDelivery(delivery);
    },
  );
}
