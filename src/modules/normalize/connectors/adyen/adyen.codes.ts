import { declineMapping as m, type DeclineMapping } from '../../connector.js';

/**
 * Adyen refusal reasons 0–46 (docs.adyen.com/development-resources/refusal-reasons), keyed by the
 * reason TEXT Adyen sends in a notification's `reason`, lower-cased without a trailing period
 * (see `adyenReasonKey`). 13 (Received) and 30 (partially approved) are not refusals.
 */
export const adyenCodes: Readonly<Record<string, DeclineMapping>> = {
  // 0: Adyen could not attribute the refusal; nothing says the card itself is at fault.
  unknown: m('processing_error', 'soft', 'retry_later'),
  refused: m('generic_decline', 'soft', 'contact_issuer'),
  referral: m('generic_decline', 'hard', 'contact_issuer'),
  'acquirer error': m('processing_error', 'soft', 'retry_later'),
  'blocked card': m('lost_or_stolen_card', 'hard', 'do_not_retry'),
  'expired card': m('expired_card', 'hard', 'ask_customer_for_new_card'),
  'invalid amount': m('invalid_request', 'hard', 'fix_request'),
  'invalid card number': m('invalid_card_number', 'hard', 'ask_customer_to_check_details'),
  'issuer unavailable': m('issuer_unavailable', 'soft', 'retry_later'),
  'not supported': m('restricted_card', 'hard', 'ask_customer_for_new_card'),
  '3d not authenticated': m('authentication_failed', 'soft', 'retry_with_authentication'),
  'not enough balance': m('insufficient_funds', 'soft', 'retry_later'),
  'acquirer fraud': m('suspected_fraud', 'hard', 'do_not_retry'),
  cancelled: m('canceled_by_customer', 'hard', 'do_not_retry'),
  'shopper cancelled': m('canceled_by_customer', 'hard', 'do_not_retry'),
  'invalid pin': m('authentication_failed', 'soft', 'ask_customer_to_check_details'),
  'pin tries exceeded': m('limit_exceeded', 'hard', 'ask_customer_for_new_card'),
  'pin validation not possible': m('authentication_failed', 'soft', 'retry_later'),
  // 20 and 22 come from Adyen's own risk engine (RevenueProtect), not from the issuer.
  fraud: m('blocked_by_risk_rules', 'hard', 'review_manually'),
  'not submitted': m('processing_error', 'soft', 'retry_later'),
  'fraud-cancelled': m('blocked_by_risk_rules', 'hard', 'review_manually'),
  'transaction not permitted': m('restricted_card', 'hard', 'contact_issuer'),
  'cvc declined': m('incorrect_cvc', 'soft', 'ask_customer_to_check_details'),
  'restricted card': m('restricted_card', 'hard', 'ask_customer_for_new_card'),
  'revocation of auth': m('generic_decline', 'hard', 'do_not_retry'),
  'declined non generic': m('generic_decline', 'soft', 'contact_issuer'),
  'withdrawal amount exceeded': m('limit_exceeded', 'soft', 'retry_later'),
  'withdrawal count exceeded': m('limit_exceeded', 'soft', 'retry_later'),
  'issuer suspected fraud': m('suspected_fraud', 'hard', 'do_not_retry'),
  'avs declined': m('authentication_failed', 'soft', 'ask_customer_to_check_details'),
  'card requires online pin': m('authentication_required', 'soft', 'retry_with_authentication'),
  'no checking account available on card': m('restricted_card', 'hard', 'ask_customer_for_new_card'),
  'no savings account available on card': m('restricted_card', 'hard', 'ask_customer_for_new_card'),
  'mobile pin required': m('authentication_required', 'soft', 'retry_with_authentication'),
  'contactless fallback': m('authentication_required', 'soft', 'retry_with_authentication'),
  'authentication required': m('authentication_required', 'soft', 'retry_with_authentication'),
  'rreq not received from ds': m('authentication_failed', 'soft', 'retry_with_authentication'),
  'current aid is in penalty box': m('processing_error', 'soft', 'retry_later'),
  'cvm required restart payment': m('authentication_required', 'soft', 'retry_with_authentication'),
  '3ds authentication error': m('authentication_failed', 'soft', 'retry_with_authentication'),
  'online pin required': m('authentication_required', 'soft', 'retry_with_authentication'),
  'try another interface': m('processing_error', 'soft', 'retry_later'),
  'chip downgrade mode': m('processing_error', 'soft', 'retry_later'),
  'transaction blocked by adyen to prevent excessive retry fees': m('limit_exceeded', 'hard', 'do_not_retry'),
};

/**
 * The table key of a reason text: Adyen's casing and a trailing period vary between channels. The
 * periods are cut by a loop: `/\.+$/` retries from every period of a long run, quadratic in a
 * hostile reason's length.
 */
export function adyenReasonKey(text: string): string {
  const trimmed = text.trim();
  let end = trimmed.length;
  while (end > 0 && trimmed.charCodeAt(end - 1) === 46) end--;
  return trimmed.slice(0, end).trim().toLowerCase();
}

/** Adyen's minor-unit view where it differs from ISO 4217 (docs.adyen.com/development-resources/currency-codes). */
export const adyenExponentOverrides: Readonly<Record<string, number>> = {
  CLP: 2,
  CVE: 0,
  ISK: 2,
};
