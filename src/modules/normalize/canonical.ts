import { z } from 'zod';

import {
  cardFundings,
  declineTypes,
  eventStatuses,
  eventTypes,
  failureReasons,
  normalizationMethods,
  recommendedActions,
} from './canonical-vocabulary.js';

export * from './canonical-vocabulary.js';

export type EventType = (typeof eventTypes)[number];
export type EventStatus = (typeof eventStatuses)[number];
export type FailureReason = (typeof failureReasons)[number];
export type DeclineType = (typeof declineTypes)[number];
export type RecommendedAction = (typeof recommendedActions)[number];
export type NormalizationMethod = (typeof normalizationMethods)[number];

export const cardSchema = z.object({
  brand: z.string().nullable(),
  bin: z
    .string()
    .regex(/^\d{6,8}$/)
    .nullable(),
  last4: z
    .string()
    .regex(/^\d{4}$/)
    .nullable(),
  country: z.string().length(2).nullable(),
  funding: z.enum(cardFundings).nullable(),
});
export type Card = z.infer<typeof cardSchema>;

export const merchantSchema = z.object({
  id: z.string().nullable(),
  name: z.string().nullable(),
  country: z.string().length(2).nullable(),
});
export type Merchant = z.infer<typeof merchantSchema>;

/**
 * What a connector produces from one provider payload: everything about the event except the
 * identifiers and times that intake assigns.
 */
export interface NormalizedEventDraft {
  providerEventId: string | null;
  providerPaymentId: string | null;
  type: EventType;
  status: EventStatus;
  failureReason: FailureReason | null;
  declineType: DeclineType | null;
  recommendedAction: RecommendedAction | null;
  providerCode: string | null;
  providerMessage: string | null;
  amountMinor: number;
  currency: string;
  merchant: Merchant | null;
  customerKey: string | null;
  emailDomain: string | null;
  ip: string | null;
  ipCountry: string | null;
  deviceId: string | null;
  card: Card | null;
  occurredAt: Date;
  normalizationMethod: NormalizationMethod;
  confidence: number;
  metadata: Record<string, unknown>;
  /** A provider code that has no row in the connector's table: counted, never guessed. */
  unmappedCode?: string;
}

/** The inline risk verdict stored with an authorization or sale (see src/modules/risk). */
export const eventRiskSchema = z.object({
  score: z.number().min(0).max(1),
  riskLevel: z.enum(['low', 'medium', 'high', 'critical']),
  decision: z.enum(['approve', 'review', 'decline']),
  reasons: z.array(z.object({ code: z.string(), message: z.string(), weight: z.number() })),
  modelVersion: z.number().int().nullable(),
  rulesVersion: z.number().int(),
});
export type EventRisk = z.infer<typeof eventRiskSchema>;

export const paymentEventSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  source: z.string(),
  rawEventId: z.string(),
  provider: z.string(),
  providerEventId: z.string().nullable(),
  providerPaymentId: z.string().nullable(),
  type: z.enum(eventTypes),
  status: z.enum(eventStatuses),
  failureReason: z.enum(failureReasons).nullable(),
  declineType: z.enum(declineTypes).nullable(),
  recommendedAction: z.enum(recommendedActions).nullable(),
  providerCode: z.string().nullable(),
  providerMessage: z.string().nullable(),
  amountMinor: z.number().int(),
  currency: z.string().length(3),
  amountUsdMinor: z.number().int().nullable(),
  merchant: merchantSchema.nullable(),
  customerKey: z.string().nullable(),
  emailDomain: z.string().nullable(),
  ip: z.string().nullable(),
  ipCountry: z.string().nullable(),
  deviceId: z.string().nullable(),
  card: cardSchema.nullable(),
  occurredAt: z.string(),
  receivedAt: z.string(),
  normalizedAt: z.string(),
  normalizationMethod: z.enum(normalizationMethods),
  confidence: z.number().min(0).max(1),
  metadata: z.record(z.string(), z.unknown()),
  risk: eventRiskSchema.nullable().optional(),
});
export type PaymentEvent = z.infer<typeof paymentEventSchema>;
