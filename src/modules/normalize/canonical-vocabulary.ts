/**
 * The canonical vocabulary every connector maps into (DESIGN.md §2), without a dependency: the
 * dashboard imports these lists as values, and canonical.ts re-exports them for the server.
 */
export const eventTypes = ['authorization', 'capture', 'sale', 'refund', 'void', 'dispute'] as const;
export const eventStatuses = [
  'approved',
  'declined',
  'failed',
  'pending',
  'canceled',
  'refunded',
  'partially_refunded',
  'chargeback',
] as const;
export const failureReasons = [
  'insufficient_funds',
  'do_not_honor',
  'generic_decline',
  'expired_card',
  'incorrect_cvc',
  'invalid_card_number',
  'lost_or_stolen_card',
  'restricted_card',
  'suspected_fraud',
  'blocked_by_risk_rules',
  'authentication_required',
  'authentication_failed',
  'limit_exceeded',
  'issuer_unavailable',
  'processing_error',
  'invalid_request',
  'duplicate_transaction',
  'canceled_by_customer',
  'unknown',
] as const;
export const declineTypes = ['soft', 'hard'] as const;
export const recommendedActions = [
  'retry_later',
  'retry_with_authentication',
  'do_not_retry',
  'ask_customer_for_new_card',
  'ask_customer_to_check_details',
  'contact_issuer',
  'fix_request',
  'review_manually',
  'none',
] as const;
export const normalizationMethods = ['rules', 'heuristic', 'ai'] as const;

/**
 * `metadata.disputeStage` of a `dispute` event that is an issuer's fraud report rather than a dispute
 * (Stripe's early fraud warning, Adyen's NOTIFICATION_OF_FRAUD): risk labels the payment `fraud`.
 */
export const FRAUD_WARNING = 'fraud_warning';
/** ISO 4217's code for "no currency": an event that carries no money (a fraud warning names only ids). */
export const NO_CURRENCY = 'XXX';
export const cardFundings = ['credit', 'debit', 'prepaid', 'unknown'] as const;
