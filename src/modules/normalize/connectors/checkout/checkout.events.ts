import type { EventStatus, EventType } from '../../canonical.js';
import type { DeclineMapping } from '../../connector.js';
import { eventRow, type Choice } from '../../event-table.js';

/** What the table's cells may depend on; the connector reads them off the event's `data`. */
export interface CheckoutFacts {
  /** Whether the payment's balances show less refunded than captured. */
  partiallyRefunded: boolean;
}

type CheckoutFact = keyof CheckoutFacts;

export interface CheckoutEvent {
  type: EventType;
  status: Choice<EventStatus, CheckoutFact>;
  /** Applies when the event carries no response code of its own. */
  fallback?: DeclineMapping;
}

const authenticationFailed: DeclineMapping = {
  reason: 'authentication_failed',
  declineType: 'soft',
  action: 'retry_with_authentication',
};

/** Checkout.com webhook `type` → canonical event; a type missing here does not change payment state. */
export const checkoutEvents = {
  payment_approved: { type: 'authorization', status: 'approved' },
  payment_declined: { type: 'authorization', status: 'declined' },
  payment_pending: { type: 'authorization', status: 'pending' },
  payment_authentication_failed: { type: 'authorization', status: 'declined', fallback: authenticationFailed },
  payment_captured: { type: 'capture', status: 'approved' },
  payment_capture_declined: { type: 'capture', status: 'failed' },
  payment_capture_pending: { type: 'capture', status: 'pending' },
  payment_paid: { type: 'sale', status: 'approved' },
  payment_refunded: {
    type: 'refund',
    status: { by: 'partiallyRefunded', cases: { true: 'partially_refunded' }, otherwise: 'refunded' },
  },
  payment_refund_declined: { type: 'refund', status: 'failed' },
  payment_refund_pending: { type: 'refund', status: 'pending' },
  payment_voided: { type: 'void', status: 'canceled' },
  payment_void_declined: { type: 'void', status: 'failed' },
  payment_canceled: { type: 'void', status: 'canceled' },
  payment_expired: { type: 'void', status: 'canceled' },
  card_verified: { type: 'authorization', status: 'approved' },
  card_verification_declined: { type: 'authorization', status: 'declined' },
  // Only these two outcomes leave the money with the merchant; every other dispute_* event is a chargeback in progress.
  dispute_won: { type: 'dispute', status: 'approved' },
  dispute_canceled: { type: 'dispute', status: 'approved' },
  'dispute_*': { type: 'dispute', status: 'chargeback' },
} as const satisfies Record<string, CheckoutEvent>;

export function checkoutEvent(type: string): CheckoutEvent | undefined {
  return eventRow<CheckoutEvent>(checkoutEvents, type);
}
