import type { EventStatus, EventType } from '../../canonical.js';
import type { DeclineMapping } from '../../connector.js';
import { choose, eventRow, type Choice } from '../../event-table.js';

/** What the table's cells may depend on; the connector reads them off each item. */
export interface AdyenFacts {
  /** `additionalData.modificationAction`, lower-cased. */
  modificationAction: string | null;
}

type AdyenFact = keyof AdyenFacts;

export interface AdyenEvent {
  type: EventType;
  /** The status when the item's `success` is "true", and when it is not. */
  success: EventStatus;
  failure: EventStatus;
  /** Failures look their reason up in the refusal table unless a fixed mapping applies. */
  fixed?: DeclineMapping;
  /** An issuer's fraud report before any chargeback: a dispute-stage event that moves no money yet. */
  fraudWarning?: true;
}

const manualReviewRejected: DeclineMapping = {
  reason: 'blocked_by_risk_rules',
  declineType: 'hard',
  action: 'review_manually',
};

/** Adyen `eventCode` → canonical event; a code missing here carries no payment state. */
export const adyenEvents = {
  AUTHORISATION: { type: 'authorization', success: 'approved', failure: 'declined' },
  AUTHORISATION_ADJUSTMENT: { type: 'authorization', success: 'approved', failure: 'declined' },
  PENDING: { type: 'authorization', success: 'pending', failure: 'pending' },
  OFFER_CLOSED: { type: 'authorization', success: 'canceled', failure: 'canceled' },
  MANUAL_REVIEW_ACCEPT: { type: 'authorization', success: 'approved', failure: 'approved' },
  MANUAL_REVIEW_REJECT: {
    type: 'authorization',
    success: 'declined',
    failure: 'declined',
    fixed: manualReviewRejected,
  },
  CAPTURE: { type: 'capture', success: 'approved', failure: 'failed' },
  // The acquirer rejected the capture/refund after Adyen accepted it: success is "true" here.
  CAPTURE_FAILED: { type: 'capture', success: 'failed', failure: 'failed' },
  REFUND: { type: 'refund', success: 'refunded', failure: 'failed' },
  REFUND_WITH_DATA: { type: 'refund', success: 'refunded', failure: 'failed' },
  REFUND_FAILED: { type: 'refund', success: 'failed', failure: 'failed' },
  REFUNDED_REVERSED: { type: 'refund', success: 'failed', failure: 'failed' },
  POSTPONED_REFUND: { type: 'refund', success: 'pending', failure: 'pending' },
  VOID_PENDING_REFUND: { type: 'refund', success: 'canceled', failure: 'failed' },
  CANCELLATION: { type: 'void', success: 'canceled', failure: 'failed' },
  TECHNICAL_CANCEL: { type: 'void', success: 'canceled', failure: 'failed' },
  // Adyen decides between cancel and refund itself and says which in additionalData.modificationAction.
  CANCEL_OR_REFUND: {
    by: 'modificationAction',
    cases: { refund: { type: 'refund', success: 'refunded', failure: 'failed' } },
    otherwise: { type: 'void', success: 'canceled', failure: 'failed' },
  },
  EXPIRE: { type: 'void', success: 'canceled', failure: 'canceled' },
  CHARGEBACK: { type: 'dispute', success: 'chargeback', failure: 'chargeback' },
  SECOND_CHARGEBACK: { type: 'dispute', success: 'chargeback', failure: 'chargeback' },
  PREARBITRATION_LOST: { type: 'dispute', success: 'chargeback', failure: 'chargeback' },
  NOTIFICATION_OF_CHARGEBACK: { type: 'dispute', success: 'pending', failure: 'pending' },
  REQUEST_FOR_INFORMATION: { type: 'dispute', success: 'pending', failure: 'pending' },
  NOTIFICATION_OF_FRAUD: { type: 'dispute', success: 'pending', failure: 'pending', fraudWarning: true },
  CHARGEBACK_REVERSED: { type: 'dispute', success: 'approved', failure: 'approved' },
  PREARBITRATION_WON: { type: 'dispute', success: 'approved', failure: 'approved' },
} as const satisfies Record<string, Choice<AdyenEvent, AdyenFact>>;

/** The row of an item's (upper-cased) event code, decided for this item; undefined when the code carries no payment state. */
export function adyenEvent(eventCode: string, facts: AdyenFacts): AdyenEvent | undefined {
  const row = eventRow<Choice<AdyenEvent, AdyenFact>>(adyenEvents, eventCode);
  return row === undefined ? undefined : choose(row, facts);
}
