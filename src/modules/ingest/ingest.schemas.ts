import { z } from 'zod';
import { paymentEventSchema } from '../normalize/index.js';
import { rawEventStatuses } from './raw-event.js';

/** The wire shapes of the ingest answers, shared by the single-event and batch routes. */
export const rawEventSummarySchema = z.object({
  id: z.string(),
  status: z.enum(rawEventStatuses),
  provider: z.string().nullable(),
  providerEventId: z.string().nullable(),
  receivedAt: z.string(),
  error: z.string().nullable().describe('Why the event could not be normalized (unprocessed / dead)'),
  note: z.string().nullable().describe('Why the event was ignored, when it was'),
});

export const ingestResponseSchema = z.object({
  rawEvent: rawEventSummarySchema,
  events: z.array(paymentEventSchema),
});

const itemProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    code: z.string(),
  })
  .passthrough();

export const batchResponseSchema = z.object({
  items: z.array(
    z.object({
      index: z.number().int(),
      status: z
        .number()
        .int()
        .describe('201 stored, 200 duplicate of an event stored earlier, 4xx/503 not stored (see error)'),
      rawEvent: rawEventSummarySchema.optional(),
      events: z.array(paymentEventSchema).optional(),
      error: itemProblemSchema.optional(),
    }),
  ),
  summary: z.object({ stored: z.number().int(), duplicates: z.number().int(), failed: z.number().int() }),
});
