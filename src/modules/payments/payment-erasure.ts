import { sql, type Transaction } from 'kysely';
import type { Database } from '../../database.js';

/** Deletes the payments an erased customer made (paylens erase); returns how many. */
export async function eraseCustomerPayments(
  trx: Transaction<Database>,
  tenantId: string,
  payments: { provider: string; providerPaymentId: string }[],
): Promise<{ payments: number }> {
  if (payments.length === 0) return { payments: 0 };
  const deleted = await sql`
    DELETE FROM payments WHERE tenant_id = ${tenantId} AND (provider, provider_payment_id) IN (
      SELECT p->>'provider', p->>'providerPaymentId' FROM json_array_elements(${JSON.stringify(payments)}::json) AS p)
    RETURNING 1`.execute(trx);
  return { payments: deleted.rows.length };
}
