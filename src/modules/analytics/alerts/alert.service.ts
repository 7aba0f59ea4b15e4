import type { Logger } from 'pino';
import { newId } from '../../../platform/ids.js';
import type { OutboundHttp } from '../../../platform/net/outbound-client.js';
import type { SecretBox } from '../../../platform/crypto/secret-box.js';
import { failureReasons } from '../../normalize/index.js';
import type { RollupRepository } from '../rollup.repository.js';
import { ceilTo, effectiveWindow } from '../time-ranges.js';
import { alertSettingsSchema, defaultAlertSettings, type AlertSettings } from './alert-settings.js';
import { MAX_ATTEMPTS, nextAttemptAt, sendWebhook, SIGNATURE_HEADER, signPayload } from './alert-webhook.js';
import type { AlertRepository, AlertRow, DeliveryRow } from './alert.repository.js';
import {
  detectApprovalDrops,
  detectBacklog,
  detectCardTesting,
  detectFailureSpikes,
  detectMerchantFraudSpikes,
  type AlertKind,
  type Evaluation,
  type MerchantStats,
  type ProviderStats,
  type WindowStats,
} from './detectors.js';

export interface AlertServiceDeps {
  alerts: AlertRepository;
  /** The tenants to check, each in turn. */
  tenantIds: () => Promise<string[]>;
  rollups: RollupRepository;
  /** Null when secrets cannot be encrypted (PostgreSQL without PAYLENS_ENCRYPTION_KEY). */
  secretBox: () => Promise<SecretBox | null>;
  logger: Pick<Logger, 'warn' | 'error'>;
  clock: () => Date;
  /** Where minute rollups begin (older ones are pruned), as the analytics queries see it. */
  minuteHorizon: () => number;
  /** Sends alert webhooks and judges their URLs when they are saved. */
  http: OutboundHttp;
  /** Told of every alert opened or resolved (the live feed pushes it to dashboards). */
  onChange?: (tenantId: string, alert: ReturnType<typeof presentAlert>) => void;
  /** Per-merchant risk activity in a baseline and a recent window (risk provides it); without it, no merchant alerts. */
  merchantStats?: (tenantId: string, from: Date, recentFrom: Date, to: Date) => Promise<MerchantStats[]>;
}

export interface TenantAlertSettings extends AlertSettings {
  webhook: { url: string } | null;
}

export type PutSettingsOutcome =
  | { kind: 'saved'; settings: TenantAlertSettings }
  | { kind: 'encryption_unavailable' }
  | { kind: 'invalid_webhook_url'; message: string };

export interface RunReport {
  opened: AlertRow[];
  resolved: AlertRow[];
  deliveriesAttempted: number;
}

const DELIVERY_LEASE_MS = 60_000;
const DELIVERY_BATCH = 50;

function secretContext(tenantId: string): string {
  return `alert-webhook:${tenantId}`;
}

function emptyWindow(): WindowStats {
  return { approved: 0, attempted: 0, reasons: {} };
}

/**
 * Runs the detectors for every tenant, opens and resolves alerts (one open alert per condition)
 * and delivers alert webhooks with retries.
 */
export class AlertService {
  /** Backlog size at each tenant's previous check: "rising" compares against it. */
  private readonly previousBacklog = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(private readonly deps: AlertServiceDeps) {}

  async settings(tenantId: string): Promise<TenantAlertSettings> {
    const row = await this.deps.alerts.getSettings(tenantId);
    const parsed = row ? alertSettingsSchema.safeParse(row.settings) : null;
    return {
      ...(parsed?.success ? parsed.data : defaultAlertSettings()),
      webhook: row?.webhook_url ? { url: row.webhook_url } : null,
    };
  }

  /** `webhook` undefined keeps the current one, null removes it. */
  async putSettings(
    tenantId: string,
    settings: AlertSettings,
    webhook: { url: string; secret: string } | null | undefined,
  ): Promise<PutSettingsOutcome> {
    let stored: { url: string; secret: string } | null;
    if (webhook === undefined) {
      const row = await this.deps.alerts.getSettings(tenantId);
      stored = row?.webhook_url && row.webhook_secret ? { url: row.webhook_url, secret: row.webhook_secret } : null;
    } else if (webhook === null) {
      stored = null;
    } else {
      const problem = this.deps.http.urlProblem(webhook.url);
      if (problem) return { kind: 'invalid_webhook_url', message: problem };
      const box = await this.deps.secretBox();
      if (!box) return { kind: 'encryption_unavailable' };
      stored = { url: webhook.url, secret: box.encrypt(webhook.secret, secretContext(tenantId)) };
    }
    await this.deps.alerts.putSettings(tenantId, settings, stored, this.deps.clock());
    return { kind: 'saved', settings: { ...settings, webhook: stored ? { url: stored.url } : null } };
  }

  /** Starts periodic checks (a run still in progress when the next is due is not doubled). */
  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runOnce(this.deps.clock())
        .catch((error: unknown) => this.deps.logger.error({ err: error }, 'alert run failed'))
        .finally(() => (this.running = null));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops periodic checks and waits for a run in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  async runOnce(now: Date): Promise<RunReport> {
    const report: RunReport = { opened: [], resolved: [], deliveriesAttempted: 0 };
    for (const tenantId of await this.deps.tenantIds()) {
      const { opened, resolved } = await this.checkTenant(tenantId, now);
      report.opened.push(...opened);
      report.resolved.push(...resolved);
    }
    report.deliveriesAttempted = await this.deliverDue(now);
    return report;
  }

  private async checkTenant(tenantId: string, now: Date): Promise<{ opened: AlertRow[]; resolved: AlertRow[] }> {
    const settings = await this.settings(tenantId);
    if (!settings.enabled) return { opened: [], resolved: [] };
    const open = await this.deps.alerts.openAlerts(tenantId);
    const evaluations: { kind: AlertKind; evaluations: Evaluation[] }[] = [];

    if (settings.approvalDrop.enabled || settings.failureSpike.enabled) {
      const stats = await this.providerStats(tenantId, now, settings);
      if (settings.approvalDrop.enabled)
        evaluations.push({
          kind: 'approval_rate_drop',
          evaluations: detectApprovalDrops(stats, settings.approvalDrop),
        });
      if (settings.failureSpike.enabled) {
        evaluations.push({
          kind: 'failure_reason_spike',
          evaluations: detectFailureSpikes(stats, settings.failureSpike, failureReasons),
        });
      }
    }
    const merchantStats = this.deps.merchantStats;
    if (merchantStats && (settings.merchantCardTesting.enabled || settings.merchantFraudSpike.enabled)) {
      const { baselineStart, recentStart, end } = this.windows(now, settings);
      const stats = await merchantStats(tenantId, new Date(baselineStart), new Date(recentStart), new Date(end));
      const cardTesting = settings.merchantCardTesting.enabled
        ? detectCardTesting(stats, settings.merchantCardTesting)
        : [];
      if (settings.merchantCardTesting.enabled)
        evaluations.push({ kind: 'merchant_card_testing', evaluations: cardTesting });
      if (settings.merchantFraudSpike.enabled) {
        const cardTestingOpen = new Set(open.filter((a) => a.kind === 'merchant_card_testing').map((a) => a.subject));
        const attacked = new Set(
          cardTesting
            .filter((e) => e.state !== 'clear' || cardTestingOpen.has(e.subject))
            .map((e) => e.subject.slice('merchant/'.length)),
        );
        evaluations.push({
          kind: 'merchant_fraud_spike',
          evaluations: detectMerchantFraudSpikes(stats, settings.merchantFraudSpike, attacked),
        });
      }
    }
    if (settings.backlog.enabled) {
      const current = await this.deps.alerts.unprocessedCount(tenantId);
      const isOpen = open.some((a) => a.kind === 'backlog_growing');
      evaluations.push({
        kind: 'backlog_growing',
        evaluations: [detectBacklog(current, this.previousBacklog.get(tenantId) ?? null, isOpen, settings.backlog)],
      });
      this.previousBacklog.set(tenantId, current);
    }

    const opened: AlertRow[] = [];
    const resolved: AlertRow[] = [];
    for (const { kind, evaluations: list } of evaluations) {
      for (const evaluation of list) {
        const existing = open.find((a) => a.kind === kind && a.subject === evaluation.subject);
        if (evaluation.state === 'firing' && !existing) {
          const { finding } = evaluation;
          const row = await this.deps.alerts.open({
            id: newId('alr', now.getTime()),
            tenantId,
            openedAt: now,
            ...finding,
          });
          if (row) opened.push(row);
        } else if (evaluation.state === 'clear' && existing) {
          const row = await this.deps.alerts.resolve(tenantId, existing.id, now);
          if (row) resolved.push(row);
        }
      }
    }
    for (const alert of [...opened, ...resolved]) this.deps.onChange?.(tenantId, presentAlert(alert));
    if (settings.webhook) {
      for (const alert of opened) await this.enqueue(tenantId, settings.webhook.url, 'alert.opened', alert, now);
      for (const alert of resolved) await this.enqueue(tenantId, settings.webhook.url, 'alert.resolved', alert, now);
    }
    return { opened, resolved };
  }

  /** Recent window = the last `recentMinutes` up to the end of the current minute; baseline = the window before it. */
  private windows(now: Date, settings: AlertSettings): { baselineStart: number; recentStart: number; end: number } {
    const end = ceilTo(now.getTime() + 1, 'minute');
    const recentStart = end - settings.recentMinutes * 60_000;
    return { baselineStart: recentStart - settings.baselineMinutes * 60_000, recentStart, end };
  }

  private async providerStats(tenantId: string, now: Date, settings: AlertSettings): Promise<ProviderStats[]> {
    const { end, recentStart, baselineStart: wanted } = this.windows(now, settings);
    // A baseline reaching past the minute horizon starts at the hour instead: those minutes are pruned.
    const baselineStart = effectiveWindow(new Date(wanted), new Date(recentStart), this.deps.minuteHorizon()).from;
    const [recentRows, baselineRows] = await Promise.all([
      this.deps.rollups.breakdown(tenantId, recentStart, end, {}, ['provider', 'status', 'failure_reason']),
      this.deps.rollups.breakdown(tenantId, baselineStart, recentStart, {}, ['provider', 'status', 'failure_reason']),
    ]);
    const byProvider = new Map<string, ProviderStats>();
    const add = (rows: typeof recentRows, which: 'recent' | 'baseline') => {
      for (const row of rows) {
        if (row.status !== 'approved' && row.status !== 'declined' && row.status !== 'failed') continue;
        const stats = byProvider.get(row.provider) ?? {
          provider: row.provider,
          recent: emptyWindow(),
          baseline: emptyWindow(),
        };
        byProvider.set(row.provider, stats);
        const window = stats[which];
        window.attempted += row.count;
        if (row.status === 'approved') window.approved += row.count;
        else if (row.failure_reason !== '')
          window.reasons[row.failure_reason] = (window.reasons[row.failure_reason] ?? 0) + row.count;
      }
    };
    add(recentRows, 'recent');
    add(baselineRows, 'baseline');
    return [...byProvider.values()].sort((a, b) => (a.provider < b.provider ? -1 : 1));
  }

  private async enqueue(tenantId: string, url: string, event: string, alert: AlertRow, now: Date): Promise<void> {
    const id = newId('dlv', now.getTime());
    const payload = JSON.stringify({ id, type: event, createdAt: now.toISOString(), data: presentAlert(alert) });
    await this.deps.alerts.addDelivery({ id, tenantId, alertId: alert.id, event, url, payload, createdAt: now });
  }

  private async deliverDue(now: Date): Promise<number> {
    const due = await this.deps.alerts.claimDue(now, DELIVERY_LEASE_MS, DELIVERY_BATCH);
    for (const delivery of due) await this.attempt(delivery, now, true);
    return due.length;
  }

  /** Sends a delivery now whatever its state; the attempt is logged like any other. Null when unknown. */
  async resend(tenantId: string, deliveryId: string): Promise<DeliveryRow | null> {
    const delivery = await this.deps.alerts.findDelivery(tenantId, deliveryId);
    if (!delivery) return null;
    await this.attempt(delivery, this.deps.clock(), false);
    return this.deps.alerts.findDelivery(tenantId, deliveryId);
  }

  private async attempt(delivery: DeliveryRow, now: Date, scheduled: boolean): Promise<void> {
    const row = await this.deps.alerts.getSettings(delivery.tenant_id);
    const box = await this.deps.secretBox();
    const attempts = delivery.attempts + 1;
    // A scheduled retry stops after the last attempt; a failed manual resend keeps whatever schedule the delivery had.
    const retryAt = (failed: boolean): Date | null => {
      if (!failed) return null;
      if (!scheduled) return delivery.status === 'pending' ? delivery.next_attempt_at : null;
      return attempts < MAX_ATTEMPTS ? nextAttemptAt(attempts, now) : null;
    };
    if (!row?.webhook_secret || !box) {
      await this.deps.alerts.recordAttempt(delivery.id, {
        at: now,
        statusCode: null,
        error: 'no alert webhook secret is configured',
        durationMs: 0,
        delivered: false,
        nextAttemptAt: null,
      });
      return;
    }
    const secret = box.decrypt(row.webhook_secret, secretContext(delivery.tenant_id));
    const outcome = await sendWebhook(this.deps.http, delivery.url, delivery.payload, {
      [SIGNATURE_HEADER]: signPayload(secret, delivery.payload, now),
      'Paylens-Delivery': delivery.id,
      'Paylens-Event': delivery.event,
    });
    if (!outcome.ok)
      this.deps.logger.warn(
        { delivery: delivery.id, status: outcome.statusCode, error: outcome.error },
        'alert webhook attempt failed',
      );
    await this.deps.alerts.recordAttempt(delivery.id, {
      at: now,
      ...outcome,
      delivered: outcome.ok,
      nextAttemptAt: retryAt(!outcome.ok),
    });
  }
}

export function presentAlert(alert: AlertRow) {
  return {
    id: alert.id,
    kind: alert.kind,
    provider: alert.provider,
    severity: alert.severity,
    status: alert.status,
    message: alert.message,
    details: alert.details,
    openedAt: alert.opened_at.toISOString(),
    resolvedAt: alert.resolved_at ? alert.resolved_at.toISOString() : null,
  };
}
