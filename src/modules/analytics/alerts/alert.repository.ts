import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database } from '../../../database.js';
import type { AlertDeliveriesTable, AlertsTable } from '../analytics.tables.js';

export type AlertRow = Selectable<AlertsTable>;
export type DeliveryRow = Selectable<AlertDeliveriesTable>;

export interface NewAlert {
  id: string;
  tenantId: string;
  kind: string;
  subject: string;
  provider: string | null;
  severity: string;
  message: string;
  details: Record<string, unknown>;
  openedAt: Date;
}

export interface AttemptRecord {
  at: Date;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  delivered: boolean;
  /** Next attempt, or null when delivered or out of attempts. */
  nextAttemptAt: Date | null;
}

export class AlertRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async unprocessedCount(tenantId: string): Promise<number> {
    const row = await this.db
      .selectFrom('raw_events')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'unprocessed')
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async getSettings(tenantId: string) {
    const row = await this.db
      .selectFrom('alert_settings')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row ? { ...row, settings: row.settings as Record<string, unknown> } : null;
  }

  async putSettings(
    tenantId: string,
    settings: Record<string, unknown>,
    webhook: { url: string; secret: string } | null,
    now: Date,
  ): Promise<void> {
    const values = {
      settings: JSON.stringify(settings),
      webhook_url: webhook?.url ?? null,
      webhook_secret: webhook?.secret ?? null,
      updated_at: now,
    };
    await this.db
      .insertInto('alert_settings')
      .values({ tenant_id: tenantId, ...values })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet(values))
      .execute();
  }

  async list(tenantId: string, status: string | undefined, limit: number): Promise<AlertRow[]> {
    let query = this.db.selectFrom('alerts').selectAll().where('tenant_id', '=', tenantId);
    if (status) query = query.where('status', '=', status);
    const rows = await query.orderBy('opened_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({ ...r, details: r.details }));
  }

  async openAlerts(tenantId: string): Promise<AlertRow[]> {
    return this.list(tenantId, 'open', 10_000);
  }

  /** Null when an alert for the same condition is already open (another instance got there first). */
  async open(alert: NewAlert): Promise<AlertRow | null> {
    const row = await this.db
      .insertInto('alerts')
      .values({
        id: alert.id,
        tenant_id: alert.tenantId,
        kind: alert.kind,
        subject: alert.subject,
        provider: alert.provider,
        severity: alert.severity,
        status: 'open',
        message: alert.message,
        details: JSON.stringify(alert.details),
        opened_at: alert.openedAt,
        resolved_at: null,
      })
      .onConflict((oc) => oc.columns(['tenant_id', 'kind', 'subject']).where('status', '=', 'open').doNothing())
      .returningAll()
      .executeTakeFirst();
    return row ? { ...row, details: row.details } : null;
  }

  async resolve(tenantId: string, id: string, at: Date): Promise<AlertRow | null> {
    const row = await this.db
      .updateTable('alerts')
      .set({ status: 'resolved', resolved_at: at })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('status', '=', 'open')
      .returningAll()
      .executeTakeFirst();
    return row ? { ...row, details: row.details } : null;
  }

  async addDelivery(delivery: {
    id: string;
    tenantId: string;
    alertId: string;
    event: string;
    url: string;
    payload: string;
    createdAt: Date;
  }): Promise<void> {
    await this.db
      .insertInto('alert_deliveries')
      .values({
        id: delivery.id,
        tenant_id: delivery.tenantId,
        alert_id: delivery.alertId,
        event: delivery.event,
        url: delivery.url,
        payload: delivery.payload,
        status: 'pending',
        next_attempt_at: delivery.createdAt,
        last_status_code: null,
        last_error: null,
        log: '[]',
        created_at: delivery.createdAt,
        delivered_at: null,
      })
      .execute();
  }

  /**
   * Takes due deliveries and pushes their next attempt out by a lease, so a second instance does not
   * send them too; a crash mid-send just means the lease expires and the attempt is retried.
   */
  async claimDue(now: Date, leaseMs: number, limit: number): Promise<DeliveryRow[]> {
    const result = await sql<DeliveryRow>`
      update alert_deliveries set next_attempt_at = ${new Date(now.getTime() + leaseMs)}
      where id in (
        select id from alert_deliveries
        where status = 'pending' and next_attempt_at <= ${now}
        order by next_attempt_at limit ${limit}
        for update skip locked)
      returning *`.execute(this.db);
    return result.rows.map((r) => ({ ...r, log: r.log }));
  }

  async recordAttempt(id: string, attempt: AttemptRecord): Promise<void> {
    const entry = JSON.stringify([
      {
        at: attempt.at.toISOString(),
        statusCode: attempt.statusCode,
        error: attempt.error,
        durationMs: attempt.durationMs,
      },
    ]);
    await this.db
      .updateTable('alert_deliveries')
      .set({
        status: attempt.delivered ? 'delivered' : attempt.nextAttemptAt ? 'pending' : 'failed',
        attempts: sql`attempts + 1`,
        next_attempt_at: attempt.nextAttemptAt,
        last_status_code: attempt.statusCode,
        last_error: attempt.error,
        log: sql`log || ${entry}::jsonb`,
        delivered_at: attempt.delivered ? attempt.at : null,
      })
      .where('id', '=', id)
      .execute();
  }

  async listDeliveries(tenantId: string, limit: number): Promise<DeliveryRow[]> {
    const rows = await this.db
      .selectFrom('alert_deliveries')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...r, log: r.log }));
  }

  async findDelivery(tenantId: string, id: string): Promise<DeliveryRow | null> {
    const row = await this.db
      .selectFrom('alert_deliveries')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? { ...row, log: row.log } : null;
  }
}
