import type { DeclineMapping } from '../../connector.js';

const m = (reason: DeclineMapping['reason'], declineType: DeclineMapping['declineType'], action: DeclineMapping['action']): DeclineMapping => ({
  reason,
  declineType,
  action,
});

/**
 * Every Stripe decline code (`decline_code`, `outcome.reason`), error code (`failure_code`,
 * `last_payment_error.code`) and Radar outcome reason we know of, mapped to the canonical reason.
 */
export const stripeCodes: Readonly<Record<string, DeclineMapping>> = {
  // Issuer decline codes (docs.stripe.com/declines/codes)
  authentication_required: m('authentication_required', 'soft', 'retry_with_authentication'),
  approve_with_id: m('generic_decline', 'soft', 'retry_later'),
  call_issuer: m('generic_decline', 'hard', 'contact_issuer'),
  card_not_supported: m('restricted_card', 'hard', 'ask_customer_for_new_card'),
  card_velocity_exceeded: m('limit_exceeded', 'soft', 'retry_later'),
  currency_not_supported: m('restricted_card', 'hard', 'ask_customer_for_new_card'),
  do_not_honor: m('do_not_honor', 'soft', 'contact_issuer'),
  do_not_try_again: m('generic_decline', 'hard', 'do_not_retry'),
  duplicate_transaction: m('duplicate_transaction', 'hard', 'do_not_retry'),
  expired_card: m('expired_card', 'hard', 'ask_customer_for_new_card'),
  fraudulent: m('suspected_fraud', 'hard', 'do_not_retry'),
  generic_decline: m('generic_decline', 'soft', 'contact_issuer'),
  incorrect_number: m('invalid_card_number', 'hard', 'ask_customer_to_check_details'),
  incorrect_cvc: m('incorrect_cvc', 'soft', 'ask_customer_to_check_details'),
  incorrect_pin: m('authentication_failed', 'soft', 'ask_customer_to_check_details'),
  incorrect_zip: m('authentication_failed', 'soft', 'ask_customer_to_check_details'),
  insufficient_funds: m('insufficient_funds', 'soft', 'retry_later'),
  invalid_account: m('invalid_card_number', 'hard', 'ask_customer_for_new_card'),
  invalid_amount: m('invalid_request', 'hard', 'fix_request'),
  invalid_cvc: m('incorrect_cvc', 'soft', 'ask_customer_to_check_details'),
  invalid_expiry_month: m('expired_card', 'soft', 'ask_customer_to_check_details'),
  invalid_expiry_year: m('expired_card', 'soft', 'ask_customer_to_check_details'),
  invalid_number: m('invalid_card_number', 'hard', 'ask_customer_to_check_details'),
  invalid_pin: m('authentication_failed', 'soft', 'ask_customer_to_check_details'),
  issuer_not_available: m('issuer_unavailable', 'soft', 'retry_later'),
  lost_card: m('lost_or_stolen_card', 'hard', 'do_not_retry'),
  merchant_blacklist: m('blocked_by_risk_rules', 'hard', 'do_not_retry'),
  new_account_information_available: m('invalid_card_number', 'hard', 'ask_customer_for_new_card'),
  no_action_taken: m('generic_decline', 'hard', 'contact_issuer'),
  not_permitted: m('restricted_card', 'hard', 'do_not_retry'),
  offline_pin_required: m('authentication_required', 'soft', 'retry_with_authentication'),
  online_or_offline_pin_required: m('authentication_required', 'soft', 'retry_with_authentication'),
  pickup_card: m('lost_or_stolen_card', 'hard', 'do_not_retry'),
  pin_try_exceeded: m('limit_exceeded', 'hard', 'ask_customer_for_new_card'),
  processing_error: m('processing_error', 'soft', 'retry_later'),
  reenter_transaction: m('processing_error', 'soft', 'retry_later'),
  restricted_card: m('restricted_card', 'hard', 'ask_customer_for_new_card'),
  revocation_of_all_authorizations: m('generic_decline', 'hard', 'do_not_retry'),
  revocation_of_authorization: m('generic_decline', 'hard', 'do_not_retry'),
  security_violation: m('suspected_fraud', 'hard', 'do_not_retry'),
  service_not_allowed: m('restricted_card', 'hard', 'contact_issuer'),
  stolen_card: m('lost_or_stolen_card', 'hard', 'do_not_retry'),
  stop_payment_order: m('canceled_by_customer', 'hard', 'do_not_retry'),
  testmode_decline: m('invalid_request', 'hard', 'fix_request'),
  transaction_not_allowed: m('restricted_card', 'hard', 'contact_issuer'),
  try_again_later: m('issuer_unavailable', 'soft', 'retry_later'),
  withdrawal_count_limit_exceeded: m('limit_exceeded', 'soft', 'retry_later'),
  card_decline_rate_limit_exceeded: m('limit_exceeded', 'soft', 'retry_later'),
  mobile_device_authentication_required: m('authentication_required', 'soft', 'retry_with_authentication'),
  // Error codes that stand in for a decline code (failure_code / last_payment_error.code)
  card_declined: m('generic_decline', 'soft', 'contact_issuer'),
  payment_intent_authentication_failure: m('authentication_failed', 'soft', 'retry_with_authentication'),
  authentication_failure: m('authentication_failed', 'soft', 'retry_with_authentication'),
  amount_too_large: m('invalid_request', 'hard', 'fix_request'),
  amount_too_small: m('invalid_request', 'hard', 'fix_request'),
  invalid_charge_amount: m('invalid_request', 'hard', 'fix_request'),
  payment_method_not_available: m('processing_error', 'soft', 'retry_later'),
  // Radar outcome reasons (outcome.type = blocked)
  highest_risk_level: m('blocked_by_risk_rules', 'hard', 'review_manually'),
  elevated_risk_level: m('blocked_by_risk_rules', 'hard', 'review_manually'),
  rule: m('blocked_by_risk_rules', 'hard', 'review_manually'),
  low_probability_of_authorization: m('blocked_by_risk_rules', 'hard', 'do_not_retry'),
};

/** Stripe's own minor-unit view where it differs from ISO 4217 (docs.stripe.com/currencies). */
export const stripeExponentOverrides: Readonly<Record<string, number>> = {
  ISK: 2,
  UGX: 2,
  MGA: 0,
};
