import type { Kysely } from 'kysely';
import type { Database } from '../../database.js';
import { PaymentRepository } from './payment.repository.js';
import { paymentsHook } from './payments.hook.js';

/** Payments: the aggregates and the pipeline hook that keeps them in step with the stored events. */
export function createPayments(deps: {
  db: Kysely<Database>;
  /** Where the payment reads go (a read replica when one is configured). */
  replica: Kysely<Database>;
}) {
  const payments = new PaymentRepository(deps.db, deps.replica);
  return { payments, hook: paymentsHook(payments) };
}
