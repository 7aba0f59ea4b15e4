import { sql, type Transaction } from 'kysely';
import type { Database } from '../../database.js';

export interface RiskErasureScope {
  tenantId: string;
  customerKeys: string[];
  /** The e-mail addresses and customer ids as given: list audit entries keep the value in clear. */
  identifiers: string[];
  transactionIds: string[];
  eventIds: string[];
}

const json = (values: readonly unknown[]) => sql`(SELECT json_array_elements_text(${JSON.stringify(values)}::json))`;

/**
 * Deletes what risk kept of a customer (paylens erase): the assessments and labels of their
 * transactions, the list entries on their e-mail or customer id, and the list audit lines that
 * name them. The velocity history is forgotten separately (VelocityStore.forgetCustomers), outside
 * the database transaction.
 */
export async function eraseCustomerRisk(
  trx: Transaction<Database>,
  scope: RiskErasureScope,
): Promise<{ risk_assessments: number; risk_labels: number; risk_lists: number; risk_list_audit: number }> {
  const { tenantId } = scope;
  const assessments = await sql`
    DELETE FROM risk_assessments WHERE tenant_id = ${tenantId}
      AND (transaction_id IN ${json(scope.transactionIds)} OR event_id IN ${json(scope.eventIds)})
    RETURNING 1`.execute(trx);
  const labels = await sql`
    DELETE FROM risk_labels WHERE tenant_id = ${tenantId}
      AND (transaction_id IN ${json(scope.transactionIds)} OR event_id IN ${json(scope.eventIds)})
    RETURNING 1`.execute(trx);
  const lists = await sql<{ id: string }>`
    DELETE FROM risk_lists WHERE tenant_id = ${tenantId} AND type IN ('email', 'customer')
      AND match_key IN ${json(scope.customerKeys)}
    RETURNING id`.execute(trx);
  const identifiers = scope.identifiers.map((i) => i.trim().toLowerCase());
  const listAudit = await sql`
    DELETE FROM risk_list_audit WHERE tenant_id = ${tenantId}
      AND (entry_id IN ${json(lists.rows.map((r) => r.id))}
        OR (type IN ('email', 'customer') AND lower(trim(value)) IN ${json(identifiers)}))
    RETURNING 1`.execute(trx);
  return {
    risk_assessments: assessments.rows.length,
    risk_labels: labels.rows.length,
    risk_lists: lists.rows.length,
    risk_list_audit: listAudit.rows.length,
  };
}
