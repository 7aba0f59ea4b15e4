import type { EventStatus, EventType } from '../../canonical.js';
import { eventRow, type Choice } from '../../event-table.js';

/** What the table's cells may depend on; the connector reads them off the event's resource. */
export interface StripeFacts {
  /** A PaymentIntent's `capture_method`. */
  captureMethod: string | null;
  /** A charge's `captured` (true only for a JSON `true`). */
  captured: boolean;
  /** A charge's `refunded`: true only once fully refunded. */
  refunded: boolean;
  /** The resource's `status`. */
  status: string | null;
}

type StripeFact = keyof StripeFacts;

/** The `data.object.object` of an event: which resource the connector reads. */
export type StripeObject = 'payment_intent' | 'charge' | 'refund' | 'dispute' | 'radar.early_fraud_warning';

export interface StripeEvent {
  /** The resource the event must carry; with another one it is not this event. */
  object: StripeObject;
  type: Choice<EventType, StripeFact>;
  /**
   * `declined` means the issuer or Radar refused: the connector reads the decline code and makes it
   * `failed` when nothing reached an issuer's decision (a processing error, an invalid request).
   */
  status: Choice<EventStatus, StripeFact>;
  /**
   * The amount the event moves, when not the resource's `amount`: another field (`amount` when absent),
   * what `amount_refunded` grew by since `previous_attributes`, or nothing at all.
   */
  amount?: 'amount_received' | 'amount_capturable' | 'amount_captured' | 'refunded since previous' | 'none';
  /** The provider code (and message) of an event that is not a decline: a resource field, or a fixed code. */
  code?: { field: string; message?: string } | { fixed: string };
  /** The event changes payment state only when `previous_attributes` names one of these fields. */
  changes?: readonly string[];
}

const byCaptureMethod = { by: 'captureMethod', cases: { manual: 'authorization' }, otherwise: 'sale' } as const;
const byCaptured = { by: 'captured', cases: { true: 'sale' }, otherwise: 'authorization' } as const;
const refund = {
  object: 'refund',
  type: 'refund',
  status: {
    by: 'status',
    cases: {
      succeeded: 'refunded',
      pending: 'pending',
      requires_action: 'pending',
      failed: 'failed',
      canceled: 'canceled',
    },
    otherwise: 'pending',
  },
  code: { field: 'failure_reason' },
} as const satisfies StripeEvent;

/**
 * Stripe event `type` → canonical event. A `prefix*` row covers every type it starts with; a
 * payment_intent.* or charge.* type missing here does not change payment state.
 */
export const stripeEvents = {
  'payment_intent.succeeded': {
    object: 'payment_intent',
    type: { by: 'captureMethod', cases: { manual: 'capture' }, otherwise: 'sale' },
    status: 'approved',
    amount: 'amount_received',
  },
  'payment_intent.amount_capturable_updated': {
    object: 'payment_intent',
    type: 'authorization',
    status: 'approved',
    amount: 'amount_capturable',
  },
  'payment_intent.payment_failed': { object: 'payment_intent', type: byCaptureMethod, status: 'declined' },
  'payment_intent.canceled': {
    object: 'payment_intent',
    type: 'void',
    status: 'canceled',
    code: { field: 'cancellation_reason' },
  },
  'payment_intent.created': { object: 'payment_intent', type: byCaptureMethod, status: 'pending' },
  'payment_intent.processing': { object: 'payment_intent', type: byCaptureMethod, status: 'pending' },
  'payment_intent.requires_action': { object: 'payment_intent', type: byCaptureMethod, status: 'pending' },
  'charge.succeeded': { object: 'charge', type: byCaptured, status: 'approved' },
  'charge.pending': { object: 'charge', type: byCaptured, status: 'pending' },
  'charge.failed': { object: 'charge', type: 'sale', status: 'declined' },
  'charge.captured': { object: 'charge', type: 'capture', status: 'approved', amount: 'amount_captured' },
  'charge.expired': { object: 'charge', type: 'void', status: 'canceled', code: { fixed: 'expired' } },
  'charge.refunded': {
    object: 'charge',
    type: 'refund',
    status: { by: 'refunded', cases: { true: 'refunded' }, otherwise: 'partially_refunded' },
    amount: 'refunded since previous',
  },
  'charge.updated': {
    object: 'charge',
    type: byCaptured,
    status: {
      by: 'status',
      cases: { failed: 'failed', pending: 'pending' },
      otherwise: { by: 'refunded', cases: { true: 'refunded' }, otherwise: 'approved' },
    },
    code: { field: 'failure_code', message: 'failure_message' },
    changes: ['status', 'captured', 'amount_captured', 'amount_refunded', 'refunded', 'disputed'],
  },
  'charge.refund.*': refund,
  'refund.*': refund,
  // Only these dispute outcomes leave the money with the merchant; any other is a chargeback.
  'charge.dispute.*': {
    object: 'dispute',
    type: 'dispute',
    status: {
      by: 'status',
      cases: { won: 'approved', warning_closed: 'approved', prevented: 'approved' },
      otherwise: 'chargeback',
    },
    code: { field: 'reason', message: 'status' },
  },
  'charge.dispute.funds_reinstated': {
    object: 'dispute',
    type: 'dispute',
    status: 'approved',
    code: { field: 'reason', message: 'status' },
  },
  // An issuer reported the charge as fraud (TC40/SAFE) before any dispute: a dispute-stage event that moves no money.
  'radar.early_fraud_warning.*': {
    object: 'radar.early_fraud_warning',
    type: 'dispute',
    status: 'pending',
    amount: 'none',
    code: { field: 'fraud_type' },
  },
} as const satisfies Record<string, StripeEvent>;

export function stripeEvent(type: string): StripeEvent | undefined {
  return eventRow<StripeEvent>(stripeEvents, type);
}
