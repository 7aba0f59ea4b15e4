import type { EventStatus, EventType } from '../../canonical.js';
import { eventRow, type Choice } from '../../event-table.js';

/** What the table's cells may depend on; the connector reads them off each event. */
export interface PaypalFacts {
  /** The envelope's `resource_type`. */
  resourceType: string | null;
  /** The resource's `status`. */
  status: string | null;
  /** The resource's `status_details.reason`. */
  reason: string | null;
  /** Whether a capture names an authorization it captures (related_ids or its `up` link). */
  authorizationBacked: boolean;
  /** An order's `intent`. */
  intent: string | null;
  /** A dispute's `dispute_outcome.outcome_code`. */
  outcomeCode: string | null;
}

type Fact = keyof PaypalFacts;

/** The resource an event carries: which reader the connector applies. */
export type PaypalResource = 'capture' | 'refund' | 'order' | 'authorization' | 'dispute';

export interface PaypalEvent {
  resource: PaypalResource;
  type: Choice<EventType, Fact>;
  status: Choice<EventStatus, Fact>;
}

/** A row that chooses `null`: the event does not change payment state. */
type Row = Choice<PaypalEvent | null, Fact>;

// An authorization-backed capture is a separate capture step; an intent=CAPTURE order captures in one go.
const captureType = { by: 'authorizationBacked', cases: { true: 'capture' }, otherwise: 'sale' } as const;
const refund = {
  resource: 'refund',
  type: 'refund',
  status: {
    by: 'status',
    cases: { COMPLETED: 'refunded', PENDING: 'pending', FAILED: 'failed', CANCELLED: 'canceled' },
    otherwise: 'pending',
  },
} as const satisfies PaypalEvent;
/** PayPal sends refunds under PAYMENT.CAPTURE.* too (resource_type `refund`): they are read as the refund they are. */
const unlessRefund = <R extends Row>(row: R) => ({ by: 'resourceType', cases: { refund }, otherwise: row }) as const;
// A reversal pulls captured funds back; PayPal says why in status_details.reason.
const reversal = { resource: 'capture', type: 'dispute', status: 'chargeback' } as const;

/**
 * PayPal webhook `event_type` → canonical event. A `prefix*` row covers every type it starts with;
 * a type no row covers is not a payment event we model.
 */
export const paypalEvents = {
  'PAYMENT.CAPTURE.COMPLETED': unlessRefund({ resource: 'capture', type: captureType, status: 'approved' }),
  'PAYMENT.CAPTURE.DENIED': unlessRefund({
    resource: 'capture',
    type: captureType,
    status: { by: 'status', cases: { FAILED: 'failed' }, otherwise: 'declined' },
  }),
  'PAYMENT.CAPTURE.DECLINED': unlessRefund({
    resource: 'capture',
    type: captureType,
    status: { by: 'status', cases: { FAILED: 'failed' }, otherwise: 'declined' },
  }),
  'PAYMENT.CAPTURE.PENDING': unlessRefund({ resource: 'capture', type: captureType, status: 'pending' }),
  'PAYMENT.CAPTURE.REVERSED': unlessRefund({
    by: 'reason',
    cases: { CHARGEBACK: reversal, BUYER_COMPLAINT: reversal },
    otherwise: { resource: 'capture', type: 'refund', status: 'refunded' },
  }),
  'PAYMENT.CAPTURE.REFUNDED': {
    by: 'resourceType',
    cases: {
      capture: {
        resource: 'capture',
        type: 'refund',
        status: { by: 'status', cases: { PARTIALLY_REFUNDED: 'partially_refunded' }, otherwise: 'refunded' },
      },
    },
    otherwise: refund,
  },
  'PAYMENT.CAPTURE.*': unlessRefund(null),
  // The buyer approved the payment; nothing is captured yet, whatever the intent.
  'CHECKOUT.ORDER.APPROVED': { resource: 'order', type: 'authorization', status: 'approved' },
  'CHECKOUT.ORDER.COMPLETED': {
    resource: 'order',
    type: { by: 'intent', cases: { AUTHORIZE: 'authorization' }, otherwise: 'sale' },
    status: { by: 'status', cases: { VOIDED: 'canceled' }, otherwise: 'approved' },
  },
  'CHECKOUT.ORDER.*': null,
  'PAYMENT.AUTHORIZATION.CREATED': {
    resource: 'authorization',
    type: 'authorization',
    status: { by: 'status', cases: { DENIED: 'declined', PENDING: 'pending' }, otherwise: 'approved' },
  },
  'PAYMENT.AUTHORIZATION.VOIDED': { resource: 'authorization', type: 'void', status: 'canceled' },
  'PAYMENT.AUTHORIZATION.*': null,
  // Only these outcomes leave the money with the seller; any other dispute event is a chargeback.
  'CUSTOMER.DISPUTE.*': {
    resource: 'dispute',
    type: 'dispute',
    status: {
      by: 'outcomeCode',
      cases: { RESOLVED_SELLER_FAVOUR: 'approved', CANCELED_BY_BUYER: 'approved', DENIED: 'approved' },
      otherwise: 'chargeback',
    },
  },
} as const satisfies Record<string, Row>;

export function paypalEvent(eventType: string): Row | undefined {
  return eventRow<Row>(paypalEvents, eventType);
}
