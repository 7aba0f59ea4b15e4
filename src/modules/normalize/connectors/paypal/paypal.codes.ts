import { declineMapping as m, type DeclineMapping } from '../../connector.js';

const issuerRetry = m('issuer_unavailable', 'soft', 'retry_later');
const processing = m('processing_error', 'soft', 'retry_later');
const merchantSetup = m('invalid_request', 'hard', 'fix_request');
const notSupported = m('restricted_card', 'hard', 'ask_customer_for_new_card');

/**
 * PayPal card processor response codes (`processor_response.response_code`, the 154-value enum of
 * payments_payment_v2.json; names as PayPal publishes them in the trailing comments) and the
 * `status_details.reason` values of captures, mapped to the canonical reason. `0000`/`7600` are
 * approvals and never reach this table through a decline; they are listed so the enum is complete.
 */
export const paypalCodes: Readonly<Record<string, DeclineMapping>> = {
  '0000': m('generic_decline', 'soft', 'none'), // APPROVED
  '00N7': m('incorrect_cvc', 'soft', 'ask_customer_to_check_details'), // CVV2_FAILURE_POSSIBLE_RETRY_WITH_CVV
  '0100': m('do_not_honor', 'soft', 'contact_issuer'), // REFERRAL
  '0390': m('invalid_card_number', 'hard', 'ask_customer_for_new_card'), // ACCOUNT_NOT_FOUND
  '0500': m('do_not_honor', 'soft', 'contact_issuer'), // DO_NOT_HONOR
  '0580': m('restricted_card', 'hard', 'contact_issuer'), // UNAUTHORIZED_TRANSACTION
  '0800': processing, // BAD_RESPONSE_REVERSAL_REQUIRED
  '0880': processing, // CRYPTOGRAPHIC_FAILURE
  '0890': m('authentication_failed', 'soft', 'ask_customer_to_check_details'), // UNACCEPTABLE_PIN
  '0960': issuerRetry, // SYSTEM_MALFUNCTION
  '0R00': m('canceled_by_customer', 'hard', 'do_not_retry'), // CANCELLED_PAYMENT
  '1000': m('insufficient_funds', 'soft', 'retry_later'), // PARTIAL_AUTHORIZATION
  '10BR': m('generic_decline', 'hard', 'contact_issuer'), // ISSUER_REJECTED
  '1300': merchantSetup, // INVALID_DATA_FORMAT
  '1310': m('invalid_request', 'hard', 'fix_request'), // INVALID_AMOUNT
  '1312': merchantSetup, // INVALID_TRANSACTION_CARD_ISSUER_ACQUIRER
  '1317': merchantSetup, // INVALID_CAPTURE_DATE
  '1320': merchantSetup, // INVALID_CURRENCY_CODE
  '1330': m('invalid_card_number', 'hard', 'ask_customer_for_new_card'), // INVALID_ACCOUNT
  '1335': m('invalid_card_number', 'hard', 'ask_customer_for_new_card'), // INVALID_ACCOUNT_RECURRING
  '1340': merchantSetup, // INVALID_TERMINAL
  '1350': merchantSetup, // INVALID_MERCHANT
  '1352': m('restricted_card', 'hard', 'ask_customer_for_new_card'), // RESTRICTED_OR_INACTIVE_ACCOUNT
  '1360': merchantSetup, // BAD_PROCESSING_CODE
  '1370': merchantSetup, // INVALID_MCC
  '1380': m('expired_card', 'soft', 'ask_customer_to_check_details'), // INVALID_EXPIRATION
  '1382': m('incorrect_cvc', 'soft', 'ask_customer_to_check_details'), // INVALID_CARD_VERIFICATION_VALUE
  '1384': merchantSetup, // INVALID_LIFE_CYCLE_OF_TRANSACTION
  '1390': merchantSetup, // INVALID_ORDER
  '1393': m('generic_decline', 'hard', 'do_not_retry'), // TRANSACTION_CANNOT_BE_COMPLETED
  '5100': m('generic_decline', 'soft', 'contact_issuer'), // GENERIC_DECLINE
  '5110': m('incorrect_cvc', 'soft', 'ask_customer_to_check_details'), // CVV2_FAILURE
  '5120': m('insufficient_funds', 'soft', 'retry_later'), // INSUFFICIENT_FUNDS
  '5130': m('authentication_failed', 'soft', 'ask_customer_to_check_details'), // INVALID_PIN
  '5135': m('limit_exceeded', 'hard', 'ask_customer_for_new_card'), // DECLINED_PIN_TRY_EXCEEDED
  '5140': m('restricted_card', 'hard', 'ask_customer_for_new_card'), // CARD_CLOSED
  '5150': m('lost_or_stolen_card', 'hard', 'do_not_retry'), // PICKUP_CARD_SPECIAL_CONDITIONS
  '5160': m('restricted_card', 'hard', 'ask_customer_for_new_card'), // UNAUTHORIZED_USER
  '5170': m('authentication_failed', 'soft', 'ask_customer_to_check_details'), // AVS_FAILURE
  '5180': m('restricted_card', 'hard', 'ask_customer_for_new_card'), // INVALID_OR_RESTRICTED_CARD
  '5190': m('authentication_failed', 'soft', 'ask_customer_to_check_details'), // SOFT_AVS
  '5200': m('duplicate_transaction', 'hard', 'do_not_retry'), // DUPLICATE_TRANSACTION
  '5210': merchantSetup, // INVALID_TRANSACTION
  '5400': m('expired_card', 'hard', 'ask_customer_for_new_card'), // EXPIRED_CARD
  '5500': m('authentication_failed', 'soft', 'ask_customer_to_check_details'), // INCORRECT_PIN_REENTER
  '5650': m('authentication_required', 'soft', 'retry_with_authentication'), // DECLINED_SCA_REQUIRED
  '5700': m('restricted_card', 'hard', 'contact_issuer'), // TRANSACTION_NOT_PERMITTED
  '5710': m('limit_exceeded', 'soft', 'retry_later'), // TX_ATTEMPTS_EXCEED_LIMIT
  '5800': processing, // REVERSAL_REJECTED
  '5900': m('generic_decline', 'hard', 'contact_issuer'), // INVALID_ISSUE
  '5910': m('issuer_unavailable', 'hard', 'ask_customer_for_new_card'), // ISSUER_NOT_AVAILABLE_NOT_RETRIABLE
  '5920': issuerRetry, // ISSUER_NOT_AVAILABLE_RETRIABLE
  '5930': m('restricted_card', 'soft', 'contact_issuer'), // CARD_NOT_ACTIVATED
  '5950': m('invalid_card_number', 'hard', 'ask_customer_for_new_card'), // DECLINED_DUE_TO_UPDATED_ACCOUNT
  '6300': m('invalid_card_number', 'hard', 'ask_customer_for_new_card'), // ACCOUNT_NOT_ON_FILE
  '7600': m('generic_decline', 'soft', 'none'), // APPROVED_NON_CAPTURE
  '7700': m('authentication_failed', 'soft', 'retry_with_authentication'), // ERROR_3DS
  '7710': m('authentication_failed', 'soft', 'retry_with_authentication'), // AUTHENTICATION_FAILED
  '7800': m('invalid_card_number', 'hard', 'ask_customer_to_check_details'), // BIN_ERROR
  '7900': m('authentication_failed', 'soft', 'ask_customer_to_check_details'), // PIN_ERROR
  '8000': processing, // PROCESSOR_SYSTEM_ERROR
  '8010': processing, // HOST_KEY_ERROR
  '8020': merchantSetup, // CONFIGURATION_ERROR
  '8030': merchantSetup, // UNSUPPORTED_OPERATION
  '8100': processing, // FATAL_COMMUNICATION_ERROR
  '8110': processing, // RETRIABLE_COMMUNICATION_ERROR
  '8220': issuerRetry, // SYSTEM_UNAVAILABLE
  '9100': m('generic_decline', 'soft', 'retry_later'), // DECLINED_PLEASE_RETRY
  '9500': m('suspected_fraud', 'hard', 'do_not_retry'), // SUSPECTED_FRAUD
  '9510': m('suspected_fraud', 'hard', 'do_not_retry'), // SECURITY_VIOLATION
  '9520': m('lost_or_stolen_card', 'hard', 'do_not_retry'), // LOST_OR_STOLEN
  '9530': m('do_not_honor', 'soft', 'contact_issuer'), // HOLD_CALL_CENTER
  '9540': m('generic_decline', 'hard', 'ask_customer_for_new_card'), // REFUSED_CARD
  '9600': processing, // UNRECOGNIZED_RESPONSE_CODE
  PCNR: m('authentication_required', 'soft', 'retry_with_authentication'), // CONTINGENCIES_NOT_RESOLVED
  PCVV: m('incorrect_cvc', 'soft', 'ask_customer_to_check_details'), // CVV_FAILURE
  PP06: m('restricted_card', 'hard', 'ask_customer_for_new_card'), // ACCOUNT_CLOSED
  PPRN: m('generic_decline', 'hard', 'do_not_retry'), // REATTEMPT_NOT_PERMITTED
  PPAD: m('authentication_failed', 'soft', 'ask_customer_to_check_details'), // BILLING_ADDRESS
  PPAB: m('restricted_card', 'hard', 'ask_customer_for_new_card'), // ACCOUNT_BLOCKED_BY_ISSUER
  PPAE: notSupported, // AMEX_DISABLED
  PPAG: notSupported, // ADULT_GAMING_UNSUPPORTED
  PPAI: merchantSetup, // AMOUNT_INCOMPATIBLE
  PPAR: m('generic_decline', 'soft', 'contact_issuer'), // AUTH_RESULT
  PPAU: merchantSetup, // MCC_CODE
  PPAV: m('blocked_by_risk_rules', 'soft', 'ask_customer_to_check_details'), // ARC_AVS
  PPAX: m('limit_exceeded', 'soft', 'retry_later'), // AMOUNT_EXCEEDED
  PPBG: notSupported, // BAD_GAMING
  PPC2: m('blocked_by_risk_rules', 'soft', 'ask_customer_to_check_details'), // ARC_CVV
  PPCE: merchantSetup, // CE_REGISTRATION_INCOMPLETE
  PPCO: notSupported, // COUNTRY
  PPCR: processing, // CREDIT_ERROR
  PPCT: notSupported, // CARD_TYPE_UNSUPPORTED
  PPCU: merchantSetup, // CURRENCY_USED_INVALID
  PPD3: m('authentication_failed', 'soft', 'retry_with_authentication'), // SECURE_ERROR_3DS
  PPDC: merchantSetup, // DCC_UNSUPPORTED
  PPDI: notSupported, // DINERS_REJECT
  PPDV: m('generic_decline', 'soft', 'contact_issuer'), // AUTH_MESSAGE
  PPDT: m('blocked_by_risk_rules', 'hard', 'review_manually'), // DECLINE_THRESHOLD_BREACH
  PPEF: m('expired_card', 'hard', 'ask_customer_for_new_card'), // EXPIRED_FUNDING_INSTRUMENT
  PPEL: m('limit_exceeded', 'soft', 'retry_later'), // EXCEEDS_FREQUENCY_LIMIT
  PPER: processing, // INTERNAL_SYSTEM_ERROR
  PPEX: m('expired_card', 'soft', 'ask_customer_to_check_details'), // EXPIRY_DATE
  PPFE: merchantSetup, // FUNDING_SOURCE_ALREADY_EXISTS
  PPFI: m('invalid_card_number', 'hard', 'ask_customer_for_new_card'), // INVALID_FUNDING_INSTRUMENT
  PPFR: m('restricted_card', 'hard', 'ask_customer_for_new_card'), // RESTRICTED_FUNDING_INSTRUMENT
  PPFV: merchantSetup, // FIELD_VALIDATION_FAILED
  PPGR: merchantSetup, // GAMING_REFUND_ERROR
  PPH1: processing, // H1_ERROR
  PPIF: m('duplicate_transaction', 'hard', 'do_not_retry'), // IDEMPOTENCY_FAILURE
  PPII: merchantSetup, // INVALID_INPUT_FAILURE
  PPIM: merchantSetup, // ID_MISMATCH
  PPIT: merchantSetup, // INVALID_TRACE_ID
  PPLR: processing, // LATE_REVERSAL
  PPLS: processing, // LARGE_STATUS_CODE
  PPMB: merchantSetup, // MISSING_BUSINESS_RULE_OR_DATA
  PPMC: notSupported, // BLOCKED_Mastercard
  PPMD: m('generic_decline', 'soft', 'review_manually'), // PPMD (undocumented by PayPal)
  PPNC: merchantSetup, // NOT_SUPPORTED_NRC
  PPNL: m('limit_exceeded', 'soft', 'retry_later'), // EXCEEDS_NETWORK_FREQUENCY_LIMIT
  PPNM: merchantSetup, // NO_MID_FOUND
  PPNT: m('issuer_unavailable', 'soft', 'retry_later'), // NETWORK_ERROR
  PPPH: merchantSetup, // NO_PHONE_FOR_DCC_TRANSACTION
  PPPI: merchantSetup, // INVALID_PRODUCT
  PPPM: notSupported, // INVALID_PAYMENT_METHOD
  PPQC: notSupported, // QUASI_CASH_UNSUPPORTED
  PPRE: merchantSetup, // UNSUPPORT_REFUND_ON_PENDING_BC
  PPRF: merchantSetup, // INVALID_PARENT_TRANSACTION_STATUS
  PPRR: merchantSetup, // MERCHANT_NOT_REGISTERED
  PPS0: merchantSetup, // BANKAUTH_ROW_MISMATCH
  PPS1: merchantSetup, // BANKAUTH_ROW_SETTLED
  PPS2: merchantSetup, // BANKAUTH_ROW_VOIDED
  PPS3: m('generic_decline', 'soft', 'retry_later'), // BANKAUTH_EXPIRED
  PPS4: merchantSetup, // CURRENCY_MISMATCH
  PPS5: merchantSetup, // CREDITCARD_MISMATCH
  PPS6: merchantSetup, // AMOUNT_MISMATCH
  PPSC: m('blocked_by_risk_rules', 'hard', 'review_manually'), // ARC_SCORE
  PPSD: m('generic_decline', 'soft', 'review_manually'), // STATUS_DESCRIPTION
  PPSE: notSupported, // AMEX_DENIED
  PPTE: m('authentication_failed', 'soft', 'retry_with_authentication'), // VERIFICATION_TOKEN_EXPIRED
  PPTF: merchantSetup, // INVALID_TRACE_REFERENCE
  PPTI: merchantSetup, // INVALID_TRANSACTION_ID
  PPTR: m('authentication_failed', 'hard', 'retry_with_authentication'), // VERIFICATION_TOKEN_REVOKED
  PPTT: merchantSetup, // TRANSACTION_TYPE_UNSUPPORTED
  PPTV: m('authentication_failed', 'soft', 'retry_with_authentication'), // INVALID_VERIFICATION_TOKEN
  PPUA: merchantSetup, // USER_NOT_AUTHORIZED
  PPUC: merchantSetup, // CURRENCY_CODE_UNSUPPORTED
  PPUE: merchantSetup, // UNSUPPORT_ENTITY
  PPUI: merchantSetup, // UNSUPPORT_INSTALLMENT
  PPUP: merchantSetup, // UNSUPPORT_POS_FLAG
  PPUR: merchantSetup, // UNSUPPORTED_REVERSAL
  PPVC: merchantSetup, // VALIDATE_CURRENCY
  PPVE: merchantSetup, // VALIDATION_ERROR
  PPVT: merchantSetup, // VIRTUAL_TERMINAL_UNSUPPORTED

  // Capture status_details.reason (why a capture is pending, reversed or declined).
  BUYER_COMPLAINT: m('generic_decline', 'hard', 'review_manually'),
  CHARGEBACK: m('generic_decline', 'hard', 'review_manually'),
  ECHECK: m('issuer_unavailable', 'soft', 'retry_later'),
  INTERNATIONAL_WITHDRAWAL: m('invalid_request', 'soft', 'review_manually'),
  OTHER: m('generic_decline', 'soft', 'review_manually'),
  PENDING_REVIEW: m('blocked_by_risk_rules', 'soft', 'review_manually'),
  RECEIVING_PREFERENCE_MANDATES_MANUAL_ACTION: m('invalid_request', 'soft', 'review_manually'),
  REFUNDED: m('canceled_by_customer', 'hard', 'do_not_retry'),
  TRANSACTION_APPROVED_AWAITING_FUNDING: m('issuer_unavailable', 'soft', 'retry_later'),
  UNILATERAL: m('invalid_request', 'hard', 'fix_request'),
  VERIFICATION_REQUIRED: m('authentication_required', 'soft', 'review_manually'),
};
