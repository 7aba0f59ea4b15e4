import { FRAUD_WARNING, type PaymentEvent } from '../normalize/index.js';
import type { LabelValue } from './risk.repository.js';

export const labelSources = ['api', 'dispute', 'fraud_warning'] as const;
export type LabelSource = (typeof labelSources)[number];

/** A label a provider gave: the payment it names, what it says, and the event that said it. */
export interface ProviderLabel {
  tenantId: string;
  provider: string;
  /** The payment id the dispute or warning names (PayPal: the capture); resolved to the scored transaction when stored. */
  paymentId: string;
  label: LabelValue;
  source: Exclude<LabelSource, 'api'>;
  reasonCode: string | null;
  eventId: string;
}

/**
 * What a provider's event says about its payment: an issuer fraud warning labels it `fraud`, a
 * dispute or chargeback in any stage `chargeback` (with the provider's reason code). A dispute
 * resolved for the merchant says nothing new: an earlier label stands until someone relabels it.
 */
export function providerLabelOf(event: PaymentEvent): ProviderLabel | null {
  if (event.type !== 'dispute' || !event.providerPaymentId) return null;
  const base = {
    tenantId: event.tenantId,
    provider: event.provider,
    paymentId: event.providerPaymentId,
    reasonCode: event.providerCode,
    eventId: event.id,
  };
  if (event.metadata.disputeStage === FRAUD_WARNING) return { ...base, label: 'fraud', source: 'fraud_warning' };
  if (event.status === 'approved') return null;
  return { ...base, label: 'chargeback', source: 'dispute' };
}
