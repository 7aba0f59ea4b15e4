import { declineMapping as m, type DeclineMapping } from '../../connector.js';

/**
 * Mercado Pago `status_detail` values that explain a payment that did not (yet) succeed: the documented
 * rejections and pending states (handling-responses) and the ones seen in the wild (3DS challenge,
 * regulations, unpaid cash/transfer payments, buyer cancellation, expiry).
 */
export const mercadoPagoCodes: Readonly<Record<string, DeclineMapping>> = {
  cc_rejected_bad_filled_card_number: m('invalid_card_number', 'hard', 'ask_customer_to_check_details'),
  cc_rejected_bad_filled_date: m('expired_card', 'soft', 'ask_customer_to_check_details'),
  cc_rejected_bad_filled_other: m('invalid_request', 'soft', 'ask_customer_to_check_details'),
  cc_rejected_bad_filled_security_code: m('incorrect_cvc', 'soft', 'ask_customer_to_check_details'),
  cc_rejected_blacklist: m('blocked_by_risk_rules', 'hard', 'do_not_retry'),
  cc_rejected_call_for_authorize: m('do_not_honor', 'soft', 'contact_issuer'),
  cc_rejected_card_disabled: m('restricted_card', 'soft', 'contact_issuer'),
  cc_rejected_card_error: m('processing_error', 'soft', 'retry_later'),
  cc_rejected_duplicated_payment: m('duplicate_transaction', 'hard', 'do_not_retry'),
  cc_rejected_high_risk: m('blocked_by_risk_rules', 'hard', 'ask_customer_for_new_card'),
  cc_rejected_insufficient_amount: m('insufficient_funds', 'soft', 'retry_later'),
  cc_rejected_invalid_installments: m('invalid_request', 'hard', 'fix_request'),
  cc_rejected_max_attempts: m('limit_exceeded', 'soft', 'ask_customer_for_new_card'),
  cc_rejected_other_reason: m('generic_decline', 'soft', 'ask_customer_for_new_card'),
  cc_rejected_3ds_challenge: m('authentication_failed', 'soft', 'retry_with_authentication'),
  rejected_by_regulations: m('restricted_card', 'hard', 'do_not_retry'),
  pending_contingency: m('issuer_unavailable', 'soft', 'retry_later'),
  pending_review_manual: m('blocked_by_risk_rules', 'soft', 'review_manually'),
  pending_waiting_payment: m('canceled_by_customer', 'soft', 'none'),
  pending_waiting_transfer: m('canceled_by_customer', 'soft', 'none'),
  by_payer: m('canceled_by_customer', 'hard', 'none'),
  expired: m('canceled_by_customer', 'soft', 'none'),
};

/**
 * `status_detail` values that describe a success or a merchant's own action, never a failure of the
 * buyer's payment, so they have no canonical failure reason: an accredited payment, refunds, and a
 * cancellation by the collector (the merchant).
 */
export const mercadoPagoNonFailureDetails: ReadonlySet<string> = new Set([
  'accredited',
  'partially_refunded',
  'refunded',
  'by_collector',
]);
