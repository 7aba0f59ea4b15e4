import { NO_CURRENCY, type PaymentEvent } from '../normalize/index.js';

/**
 * The payment aggregate: the current state of one provider payment, folded from its events.
 *
 * Events arrive out of order (webhooks are retried, batches replayed), so every part of the state
 * is a commutative merge: the status is the event with the greatest precedence key, the amount comes
 * from the earliest amount-bearing event, captures take the maximum and refunds the sum. Any order of
 * arrival therefore gives the same state as applying the events by provider time.
 */
export const paymentStatuses = [
  'pending',
  'declined',
  'failed',
  'authorized',
  'captured',
  'partially_refunded',
  'canceled',
  'refunded',
  'chargeback',
  'dispute_won',
] as const;
export type PaymentStatus = (typeof paymentStatuses)[number];

/** Once reached, a payment never leaves these for a non-terminal state, whatever arrives late. */
export const terminalStatuses: ReadonlySet<PaymentStatus> = new Set([
  'canceled',
  'refunded',
  'chargeback',
  'dispute_won',
]);

/**
 * Precedence: among non-terminal states it only breaks ties of equal provider time; among terminal
 * states it decides (a chargeback after a refund is what the merchant must see).
 */
const precedence: Record<PaymentStatus, number> = {
  pending: 0,
  declined: 1,
  failed: 1,
  authorized: 2,
  captured: 3,
  partially_refunded: 4,
  canceled: 5,
  refunded: 6,
  chargeback: 7,
  dispute_won: 8,
};

export const paymentFlags = ['currency_mismatch', 'amount_mismatch', 'refund_exceeds_capture'] as const;
export type PaymentFlag = (typeof paymentFlags)[number];

export type PaymentEventInput = Pick<
  PaymentEvent,
  'id' | 'type' | 'status' | 'amountMinor' | 'currency' | 'occurredAt'
> & {
  metadata?: PaymentEvent['metadata'];
};

/** A comparable key; compared element by element. */
type Key = [number, number, number, string];

export interface PaymentState {
  status: PaymentStatus;
  statusKey: Key;
  amountMinor: number;
  currency: string;
  amountKey: Key;
  capturedMinor: number;
  refundedMinor: number;
  /**
   * Providers report one refund twice (Stripe: charge.refunded with the running total, and the refund
   * object itself), so summing every refund event would double it. Events that carry the running
   * total count through its maximum; the others add up; the refunded amount is the larger of the two.
   */
  refundTotalMinor: number;
  refundSumMinor: number;
  /** Distinct currencies and payment amounts seen, sorted: the mismatch flags derive from them. */
  currencies: string[];
  paymentAmounts: number[];
  firstEventAt: string;
  lastEventAt: string;
  eventCount: number;
}

/** What an event says about the payment's status; null when it says nothing (e.g. a failed refund). */
export function statusOfEvent(event: Pick<PaymentEvent, 'type' | 'status'>): PaymentStatus | null {
  const { type, status } = event;
  switch (type) {
    case 'dispute':
      return status === 'chargeback' ? 'chargeback' : status === 'approved' ? 'dispute_won' : null;
    case 'refund':
      return status === 'refunded' ? 'refunded' : status === 'partially_refunded' ? 'partially_refunded' : null;
    case 'void':
      return status === 'canceled' || status === 'approved' ? 'canceled' : null;
    case 'authorization':
    case 'capture':
    case 'sale':
      if (status === 'approved') return type === 'authorization' ? 'authorized' : 'captured';
      if (status === 'pending' || status === 'declined' || status === 'failed' || status === 'canceled') return status;
      return null;
  }
}

function compare(a: Key, b: Key): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}

function statusKey(status: PaymentStatus, at: number, id: string): Key {
  const rank = precedence[status];
  return terminalStatuses.has(status) ? [1, rank, at, id] : [0, at, rank, id];
}

/** Lower is preferred: authorizations and sales state the payment's amount, captures next, anything else after, events without money last. */
function amountKey(event: PaymentEventInput, at: number): Key {
  const tier =
    event.currency === NO_CURRENCY
      ? 3
      : event.type === 'authorization' || event.type === 'sale'
        ? 0
        : event.type === 'capture'
          ? 1
          : 2;
  return [tier, at, 0, event.id];
}

function insertSorted<T extends string | number>(list: T[], value: T): T[] {
  return list.includes(value) ? list : [...list, value].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const NO_STATUS: Key = [-1, 0, 0, ''];

/** Applies one event to a state (or starts one); pure, commutative over any set of distinct events. */
export function applyEvent(state: PaymentState | null, event: PaymentEventInput): PaymentState {
  const at = Date.parse(event.occurredAt);
  const current: PaymentState = state ?? {
    status: 'pending',
    statusKey: NO_STATUS,
    amountMinor: event.amountMinor,
    currency: event.currency,
    amountKey: amountKey(event, at),
    capturedMinor: 0,
    refundedMinor: 0,
    refundTotalMinor: 0,
    refundSumMinor: 0,
    currencies: [],
    paymentAmounts: [],
    firstEventAt: event.occurredAt,
    lastEventAt: event.occurredAt,
    eventCount: 0,
  };
  const next: PaymentState = { ...current, eventCount: current.eventCount + 1 };

  const status = statusOfEvent(event);
  if (status !== null) {
    const key = statusKey(status, at, event.id);
    if (compare(key, current.statusKey) > 0) {
      next.status = status;
      next.statusKey = key;
    }
  }
  const aKey = amountKey(event, at);
  if (compare(aKey, current.amountKey) <= 0) {
    next.amountMinor = event.amountMinor;
    next.currency = event.currency;
    next.amountKey = aKey;
  }
  if ((event.type === 'capture' || event.type === 'sale') && event.status === 'approved') {
    next.capturedMinor = Math.max(current.capturedMinor, event.amountMinor);
  }
  if (event.type === 'refund' && (event.status === 'refunded' || event.status === 'partially_refunded')) {
    const total = event.metadata?.amountRefundedTotal;
    if (typeof total === 'number' && Number.isSafeInteger(total))
      next.refundTotalMinor = Math.max(current.refundTotalMinor, total);
    else next.refundSumMinor = current.refundSumMinor + event.amountMinor;
    next.refundedMinor = Math.max(next.refundTotalMinor, next.refundSumMinor);
  }
  // An event without money (a fraud warning) says nothing about the payment's currency.
  if (event.currency !== NO_CURRENCY) next.currencies = insertSorted(current.currencies, event.currency);
  if (event.type === 'authorization' || event.type === 'sale')
    next.paymentAmounts = insertSorted(current.paymentAmounts, event.amountMinor);
  if (Date.parse(current.firstEventAt) > at) next.firstEventAt = event.occurredAt;
  if (Date.parse(current.lastEventAt) < at) next.lastEventAt = event.occurredAt;
  return next;
}

export function foldEvents(
  events: readonly PaymentEventInput[],
  initial: PaymentState | null = null,
): PaymentState | null {
  return events.reduce<PaymentState | null>((state, event) => applyEvent(state, event), initial);
}

/**
 * The status to show. A refund object only says the refund succeeded, not whether it was for the
 * whole payment, so a `refunded` state whose refunds do not cover the payment reads as partial;
 * derived from the merged state, it keeps arrival order irrelevant.
 */
export function effectiveStatus(state: PaymentState): PaymentStatus {
  if (state.status === 'refunded' && state.refundedMinor < Math.max(state.capturedMinor, state.amountMinor))
    return 'partially_refunded';
  return state.status;
}

export function flagsOf(state: PaymentState): PaymentFlag[] {
  const flags: PaymentFlag[] = [];
  if (state.currencies.length > 1) flags.push('currency_mismatch');
  if (state.paymentAmounts.length > 1 || state.capturedMinor > Math.max(...state.paymentAmounts, state.amountMinor))
    flags.push('amount_mismatch');
  if (state.refundedMinor > Math.max(state.capturedMinor, state.amountMinor)) flags.push('refund_exceeds_capture');
  return flags;
}
