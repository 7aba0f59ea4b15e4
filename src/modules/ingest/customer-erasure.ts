import { sql, type Transaction } from 'kysely';
import type { Database } from '../../database.js';

/** What one customer's erasure asks of ingest: their keys (hashed e-mail and ids) and the identifiers as given. */
export interface CustomerScope {
  tenantId: string;
  customerKeys: string[];
  /** The e-mail addresses and customer ids as the operator gave them, to find raw payloads that name them. */
  identifiers: string[];
}

/** The payments and transactions the erased events belonged to, for the modules that hold more of them. */
export interface ErasedEvents {
  counts: { payment_events: number; raw_events: number; raw_event_keys: number; raw_event_actions: number };
  payments: { provider: string; providerPaymentId: string }[];
  /** Risk's transaction ids: the payment id, or the event id of an event without one. */
  transactionIds: string[];
  eventIds: string[];
}

const json = (values: readonly unknown[]) => sql`(SELECT json_array_elements_text(${JSON.stringify(values)}::json))`;

/** `%` and `_` in an identifier are literal in the payload search. */
function likeLiteral(value: string): string {
  return value.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Deletes a customer's events (paylens erase): the normalized events that carry one of their keys,
 * every event of the payments those belong to, the raw payloads behind them, and any raw payload
 * (a dead letter, an unnormalized delivery) naming one of the identifiers as a whole JSON string or
 * XML element value. A raw payload holding several customers' events (an Adyen batch) goes whole.
 * The dedupe keys go with the payloads: a redelivery after the erasure is stored again.
 */
export async function eraseCustomerEvents(trx: Transaction<Database>, scope: CustomerScope): Promise<ErasedEvents> {
  const { tenantId } = scope;
  const keyed =
    scope.customerKeys.length === 0
      ? []
      : await trx
          .selectFrom('payment_events')
          .select(['provider', 'provider_payment_id'])
          .where('tenant_id', '=', tenantId)
          .where(sql<boolean>`customer_key IN ${json(scope.customerKeys)}`)
          .execute();
  const paymentKeys = new Map<string, { provider: string; providerPaymentId: string }>();
  for (const row of keyed)
    if (row.provider_payment_id)
      paymentKeys.set(`${row.provider}\u0000${row.provider_payment_id}`, {
        provider: row.provider,
        providerPaymentId: row.provider_payment_id,
      });
  const payments = [...paymentKeys.values()];

  const events = await sql<{ id: string; raw_event_id: string; provider_payment_id: string | null }>`
    SELECT id, raw_event_id, provider_payment_id FROM payment_events
    WHERE tenant_id = ${tenantId}
      AND (customer_key IN ${json(scope.customerKeys)}
        OR (provider, provider_payment_id) IN (
          SELECT p->>'provider', p->>'providerPaymentId' FROM json_array_elements(${JSON.stringify(payments)}::json) AS p))`.execute(
    trx,
  );
  const patterns = scope.identifiers.flatMap((id) => [`%"${likeLiteral(id)}"%`, `%>${likeLiteral(id)}<%`]);
  const named =
    patterns.length === 0
      ? { rows: [] as { id: string }[] }
      : await sql<{ id: string }>`
          SELECT id FROM raw_events WHERE tenant_id = ${tenantId}
          AND lower(payload) LIKE ANY (SELECT json_array_elements_text(${JSON.stringify(patterns)}::json))`.execute(
          trx,
        );
  const rawIds = [...new Set([...events.rows.map((e) => e.raw_event_id), ...named.rows.map((r) => r.id)])];
  const eventIds = events.rows.map((e) => e.id);

  const count = async (query: Promise<{ rows: unknown[] }>) => (await query).rows.length;
  const paymentEvents = await count(
    sql`DELETE FROM payment_events WHERE tenant_id = ${tenantId} AND (id IN ${json(eventIds)} OR raw_event_id IN ${json(rawIds)})
        RETURNING 1`.execute(trx),
  );
  const rawEventKeys = await count(
    sql`DELETE FROM raw_event_keys k USING raw_events r
        WHERE r.tenant_id = ${tenantId} AND r.id IN ${json(rawIds)}
          AND k.tenant_id = r.tenant_id AND k.provider = r.provider AND k.provider_event_id = r.provider_event_id
        RETURNING 1`.execute(trx),
  );
  const rawEventActions = await count(
    sql`DELETE FROM raw_event_actions WHERE tenant_id = ${tenantId} AND raw_event_id IN ${json(rawIds)} RETURNING 1`.execute(
      trx,
    ),
  );
  const rawEvents = await count(
    sql`DELETE FROM raw_events WHERE tenant_id = ${tenantId} AND id IN ${json(rawIds)} RETURNING 1`.execute(trx),
  );
  const transactionIds = [
    ...new Set([
      ...payments.map((p) => p.providerPaymentId),
      ...events.rows.filter((e) => !e.provider_payment_id).map((e) => e.id),
    ]),
  ];
  return {
    counts: {
      payment_events: paymentEvents,
      raw_events: rawEvents,
      raw_event_keys: rawEventKeys,
      raw_event_actions: rawEventActions,
    },
    payments,
    transactionIds,
    eventIds,
  };
}
