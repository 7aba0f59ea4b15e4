import type { DeclineMapping } from '../../connector.js';

type Reason = DeclineMapping['reason'];
type Action = DeclineMapping['action'];

// Checkout.com's ranges fix the decline type: 20xxx may succeed on a later attempt, 30xxx will not.
const soft = (reason: Reason, action: Action): DeclineMapping => ({ reason, declineType: 'soft', action });
const hard = (reason: Reason, action: Action): DeclineMapping => ({ reason, declineType: 'hard', action });

/**
 * Checkout.com `response_code`s that mean success (10xxx); they never carry a failure reason.
 * Source: checkout.com/docs/resources/codes/api-response-codes.
 */
export const checkoutApprovedCodes: ReadonlySet<string> = new Set([
  '10000',
  '10008',
  '10010',
  '10011',
  '10076',
  '10077',
  '10081',
  '10100',
  '10200',
]);

/**
 * Every Checkout.com decline `response_code` we know with certainty, mapped to the canonical reason.
 * The 20xxx/30xxx codes are 20000/30000 + the ISO 8583 issuer response; 40xxx are Checkout.com's
 * risk engine. A code missing here is reported as unmapped, never inferred from its range.
 */
export const checkoutCodes: Readonly<Record<string, DeclineMapping>> = {
  // 20xxx: soft declines
  '20001': soft('generic_decline', 'contact_issuer'), // Refer to card issuer
  '20002': soft('generic_decline', 'contact_issuer'), // Refer to card issuer - special conditions
  '20003': soft('invalid_request', 'fix_request'), // Invalid merchant or service provider
  '20005': soft('do_not_honor', 'contact_issuer'), // Declined - Do not honour
  '20006': soft('invalid_request', 'fix_request'), // Error / Invalid request parameters
  '20009': soft('processing_error', 'retry_later'), // Request in progress
  '20012': soft('invalid_request', 'fix_request'), // Invalid transaction
  '20013': soft('invalid_request', 'fix_request'), // Invalid value/amount
  '20014': soft('invalid_card_number', 'ask_customer_to_check_details'), // Invalid account number (no such number)
  '20015': soft('invalid_card_number', 'ask_customer_to_check_details'), // No such issuer
  '20019': soft('processing_error', 'retry_later'), // Re-enter transaction
  '20021': soft('generic_decline', 'contact_issuer'), // No action taken
  '20030': soft('invalid_request', 'fix_request'), // Format error
  '20031': soft('restricted_card', 'ask_customer_for_new_card'), // Bank not supported by switch
  '20051': soft('insufficient_funds', 'retry_later'), // Insufficient funds
  '20052': soft('restricted_card', 'ask_customer_for_new_card'), // No checking account
  '20053': soft('restricted_card', 'ask_customer_for_new_card'), // No savings account
  '20054': soft('expired_card', 'ask_customer_for_new_card'), // Expired card
  '20055': soft('authentication_failed', 'ask_customer_to_check_details'), // Incorrect PIN
  '20056': soft('invalid_card_number', 'ask_customer_to_check_details'), // No card record
  '20057': soft('restricted_card', 'contact_issuer'), // Transaction not permitted to cardholder
  '20058': soft('invalid_request', 'fix_request'), // Transaction not permitted to terminal
  '20059': soft('suspected_fraud', 'do_not_retry'), // Suspected fraud
  '20061': soft('limit_exceeded', 'retry_later'), // Exceeds withdrawal value/amount limits
  '20062': soft('restricted_card', 'ask_customer_for_new_card'), // Restricted card
  '20063': soft('suspected_fraud', 'do_not_retry'), // Security violation
  '20065': soft('limit_exceeded', 'retry_later'), // Exceeds withdrawal frequency limit
  '20068': soft('processing_error', 'retry_later'), // Response received too late / timeout
  '20075': soft('limit_exceeded', 'ask_customer_for_new_card'), // Allowable number of PIN tries exceeded
  '20078': soft('restricted_card', 'contact_issuer'), // Blocked, first use
  '20087': soft('incorrect_cvc', 'ask_customer_to_check_details'), // Bad track data (invalid CVV and/or expiry date)
  '20091': soft('issuer_unavailable', 'retry_later'), // Issuer unavailable or switch inoperative
  '20093': soft('restricted_card', 'do_not_retry'), // Transaction cannot be completed, violation of law
  '20096': soft('processing_error', 'retry_later'), // System malfunction
  '20150': soft('authentication_failed', 'ask_customer_for_new_card'), // Card not 3D Secure enabled
  '20153': soft('authentication_failed', 'retry_later'), // 3DS system malfunction
  '20154': soft('authentication_required', 'retry_with_authentication'), // 3DS authentication required
  '20179': soft('generic_decline', 'ask_customer_for_new_card'), // Lifecycle (Mastercard merchant advice)
  '20182': soft('restricted_card', 'do_not_retry'), // Policy (Mastercard merchant advice)
  '20183': soft('suspected_fraud', 'do_not_retry'), // Security (Mastercard merchant advice)
  // 30xxx: hard declines
  '30004': hard('lost_or_stolen_card', 'do_not_retry'), // Pick up card (no fraud)
  '30007': hard('lost_or_stolen_card', 'do_not_retry'), // Pick up card - special conditions
  '30033': hard('expired_card', 'ask_customer_for_new_card'), // Expired card - pick up
  '30034': hard('suspected_fraud', 'do_not_retry'), // Suspect fraud - pick up
  '30036': hard('restricted_card', 'ask_customer_for_new_card'), // Restricted card - pick up
  '30038': hard('limit_exceeded', 'ask_customer_for_new_card'), // Allowable PIN tries exceeded - pick up
  '30041': hard('lost_or_stolen_card', 'do_not_retry'), // Lost card - pick up
  '30043': hard('lost_or_stolen_card', 'do_not_retry'), // Stolen card - pick up
  '30044': hard('restricted_card', 'ask_customer_for_new_card'), // Transaction rejected - AMLD5
  '30046': hard('invalid_card_number', 'ask_customer_for_new_card'), // Closed account
  // 40xxx: Checkout.com risk responses
  '40101': hard('blocked_by_risk_rules', 'review_manually'), // Risk blocked transaction
  '40201': hard('blocked_by_risk_rules', 'do_not_retry'), // Gateway reject - card number blocklist
  '40202': hard('blocked_by_risk_rules', 'do_not_retry'), // Gateway reject - IP address blocklist
  '40203': hard('blocked_by_risk_rules', 'do_not_retry'), // Gateway reject - email blocklist
  '40204': hard('blocked_by_risk_rules', 'do_not_retry'), // Gateway reject - phone number blocklist
  '40205': hard('blocked_by_risk_rules', 'do_not_retry'), // Gateway reject - BIN number blocklist
};

/** Checkout.com's minor-unit view where it differs from ISO 4217 (checkout.com/docs/resources/calculating-the-amount). */
export const checkoutExponentOverrides: Readonly<Record<string, number>> = {
  CLP: 2,
};
