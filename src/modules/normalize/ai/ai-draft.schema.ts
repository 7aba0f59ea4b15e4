import { z } from 'zod';
import { eventStatuses, eventTypes, failureReasons } from '../canonical.js';

/**
 * What the model must answer: the canonical draft in words a model handles well (a decimal amount
 * in major units, ISO time), converted to the exact draft by code, never trusted as-is.
 */
export const aiDraftSchema = z.object({
  type: z.enum(eventTypes),
  status: z.enum(eventStatuses),
  amount: z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .describe('amount in major units as a plain decimal, e.g. "1234.50"'),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .describe('ISO 4217 code'),
  providerPaymentId: z.string().nullable(),
  failureReason: z.enum(failureReasons).nullable(),
  providerCode: z.string().nullable(),
  providerMessage: z.string().nullable(),
  email: z.string().nullable(),
  cardBrand: z.string().nullable(),
  cardBin: z
    .string()
    .regex(/^\d{6,8}$/)
    .nullable(),
  cardLast4: z
    .string()
    .regex(/^\d{4}$/)
    .nullable(),
  occurredAt: z.string().nullable().describe('ISO 8601 time of the event, or null when absent'),
  confidence: z.number().min(0).max(1).describe('how sure the mapping is'),
});
export type AiDraft = z.infer<typeof aiDraftSchema>;

/** The JSON Schema sent as `response_format` (strict: every property required, nothing extra). */
export function aiDraftJsonSchema(): Record<string, unknown> {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(aiDraftSchema, { target: 'draft-7' }) as Record<
    string,
    unknown
  >;
  return schema;
}
