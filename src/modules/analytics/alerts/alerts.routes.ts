import { z } from 'zod';
import type { Container } from '../../../container.js';
import { AppError, fieldError } from '../../../platform/errors/app-error.js';
import { problemResponses, type App } from '../../../platform/http/types.js';
import { ENCRYPTION_KEY_MISSING } from '../../../platform/crypto/encryption-key.js';
import { tenantOf } from '../../tenancy/index.js';
import { alertSettingsSchema } from './alert-settings.js';
import type { DeliveryRow } from './alert.repository.js';
import { presentAlert } from './alert.service.js';
import { alertKinds } from './detectors.js';
import { isoTimestamp } from '../../../platform/db/timestamps.js';

const alertSchema = z.object({
  id: z.string(),
  kind: z.enum(alertKinds),
  provider: z.string().nullable(),
  severity: z.enum(['warning', 'critical']),
  status: z.enum(['open', 'resolved']),
  message: z.string(),
  details: z.record(z.string(), z.unknown()),
  openedAt: z.string(),
  resolvedAt: z.string().nullable(),
});

const webhookOut = z.object({ url: z.string() }).nullable();
const settingsOut = alertSettingsSchema.extend({
  webhook: webhookOut.describe('Where alerts are sent; the secret is never returned'),
});

const webhookIn = z
  .object({
    url: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .describe(
        'https, on a public address (http and private addresses only where the operator allows them: 422 otherwise)',
      ),
    secret: z
      .string()
      .min(16)
      .max(256)
      .describe('Signs each delivery: Paylens-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>'),
  })
  .nullable()
  .optional()
  .describe('Omit to keep the current webhook, null to remove it');

const deliverySchema = z.object({
  id: z.string(),
  alertId: z.string(),
  event: z.string(),
  url: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  nextAttemptAt: z.string().nullable(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
  log: z.array(
    z.object({
      at: z.string(),
      statusCode: z.number().int().nullable(),
      error: z.string().nullable(),
      durationMs: z.number(),
    }),
  ),
  payload: z.string().describe('The exact body that was signed and sent'),
});

function presentDelivery(row: DeliveryRow): z.infer<typeof deliverySchema> {
  return {
    id: row.id,
    alertId: row.alert_id,
    event: row.event,
    url: row.url,
    status: row.status as 'pending' | 'delivered' | 'failed',
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' && row.next_attempt_at ? isoTimestamp(row.next_attempt_at) : null,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: isoTimestamp(row.created_at),
    deliveredAt: row.delivered_at ? isoTimestamp(row.delivered_at) : null,
    log: row.log as z.infer<typeof deliverySchema>['log'],
    payload: row.payload,
  };
}

export async function alertRoutes(app: App, container: Container): Promise<void> {
  const { alerts } = container.analytics;
  const tags = ['alerts'];

  app.get(
    '/alerts',
    {
      schema: {
        summary: 'Alerts, newest first',
        tags,
        querystring: z.object({
          status: z.enum(['open', 'resolved']).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: { 200: z.object({ data: z.array(alertSchema) }), ...problemResponses(401, 422) },
      },
    },
    async (request) => {
      const rows = await container.analytics.alertRepository.list(
        tenantOf(request),
        request.query.status,
        request.query.limit,
      );
      return { data: rows.map((r) => presentAlert(r) as z.infer<typeof alertSchema>) };
    },
  );

  app.get(
    '/alerts/settings',
    {
      schema: {
        summary: "This tenant's alert thresholds and webhook",
        tags,
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
        tags,
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
        tags,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
        response: { 200: z.object({ data: z.array(deliverySchema) }), ...problemResponses(401, 422) },
      },
    },
    async (request) => ({
      data: (await container.analytics.alertRepository.listDeliveries(tenantOf(request), request.query.limit)).map(
        presentDelivery,
      ),
    }),
  );

  app.post(
    '/alerts/deliveries/:id/resend',
    {
      config: { audit: 'alert_delivery.resend' },
      schema: {
        summary: 'Send a delivery again now',
        tags,
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
