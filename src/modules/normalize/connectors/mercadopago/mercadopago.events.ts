import type { EventStatus, EventType } from '../../canonical.js';
import { choose, eventRow, type Choice } from '../../event-table.js';

/** What the table's cells may depend on; the connector reads them off the payment. */
export interface MercadoPagoFacts {
  /** The payment's `status_detail`. */
  statusDetail: string | null;
}

type MercadoPagoFact = keyof MercadoPagoFacts;

export interface MercadoPagoEvent {
  type: EventType;
  status: EventStatus;
  /** The event moves what was refunded (`transaction_amount_refunded`, when positive), not the payment's amount. */
  refund?: true;
}

/**
 * A Mercado Pago resource → canonical event: a payment by its `status` (`payment.<status>`), a
 * chargeback resource always the same. A payment status missing here is not one we model.
 */
export const mercadoPagoEvents = {
  'payment.approved': {
    by: 'statusDetail',
    cases: { partially_refunded: { type: 'refund', status: 'partially_refunded', refund: true } },
    otherwise: { type: 'sale', status: 'approved' },
  },
  'payment.authorized': { type: 'authorization', status: 'approved' },
  'payment.pending': { type: 'sale', status: 'pending' },
  'payment.in_process': { type: 'sale', status: 'pending' },
  'payment.rejected': { type: 'sale', status: 'declined' },
  'payment.cancelled': { type: 'void', status: 'canceled' },
  'payment.refunded': { type: 'refund', status: 'refunded', refund: true },
  'payment.in_mediation': { type: 'dispute', status: 'chargeback' },
  'payment.charged_back': { type: 'dispute', status: 'chargeback' },
  chargeback: { type: 'dispute', status: 'chargeback' },
} as const satisfies Record<string, Choice<MercadoPagoEvent, MercadoPagoFact>>;

export function mercadoPagoPaymentEvent(status: string, facts: MercadoPagoFacts): MercadoPagoEvent | undefined {
  const row = eventRow<Choice<MercadoPagoEvent, MercadoPagoFact>>(mercadoPagoEvents, `payment.${status}`);
  return row === undefined ? undefined : choose(row, facts);
}
