export {
  FRAUD_WARNING,
  NO_CURRENCY,
  eventStatuses,
  eventTypes,
  failureReasons,
  paymentEventSchema,
} from './canonical.js';
export type { Card, EventRisk, Merchant, NormalizedEventDraft, PaymentEvent } from './canonical.js';
export { ConnectorRegistry } from './connector-registry.js';
export { MAX_SIGNATURE_TOLERANCE_SECONDS } from './connector.js';
export type {
  Connector,
  NormalizeContext,
  ResolveContext,
  SignedDelivery,
  VerifyInput,
  VerifyResult,
} from './connector.js';
export { allConnectors } from './connectors/index.js';
export { currencyExponent, toUsdMinor } from './money.js';
export { createNormalize } from './normalize.factory.js';
export type { NormalizeDeps } from './normalize.factory.js';
export { identify, normalizePayload } from './normalize.service.js';
export type { FallbackNormalizer, NormalizeResult } from './normalize.service.js';
export { isRecord } from './payload-access.js';
