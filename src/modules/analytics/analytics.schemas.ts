import { z } from 'zod';
import { isoTimestamp } from '../../platform/db/timestamps.js';
import { eventStatuses } from '../normalize/index.js';
import { alertSettingsSchema } from './alerts/alert-settings.js';
import type { DeliveryRow } from './alerts/alert.repository.js';
import { alertKinds } from './alerts/detectors.js';
import { groupByColumns, metrics } from './analytics.service.js';
import { granularities } from './time-ranges.js';

/** The wire shapes of the analytics and alert routes (answers, query strings, bodies). */
export const providerList = z
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

export const windowShape = {
  from: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('Inclusive, on the provider event time; default: `to` − 24 h. Resolved to the minute.'),
  to: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('Exclusive; default: now. Resolved up to the end of its minute.'),
};

export const windowOrder = {
  check: (q: { from?: string | undefined; to?: string | undefined }) =>
    !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to),
  message: { message: '`from` must be before `to`', path: ['from'] },
};

export const summarySchema = z.object({
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

export const seriesSchema = z.object({
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

export const failureReasonsSchema = z.object({
  data: z.array(
    z.object({
      reason: z.string(),
      count: z.number().int(),
      share: z.number(),
      declineType: z.string().nullable().describe('The most common decline type for the reason'),
    }),
  ),
});

export const alertSchema = z.object({
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
export const settingsOut = alertSettingsSchema.extend({
  webhook: webhookOut.describe('Where alerts are sent; the secret is never returned'),
});

export const webhookIn = z
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

export const deliverySchema = z.object({
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

export function presentDelivery(row: DeliveryRow): z.infer<typeof deliverySchema> {
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
