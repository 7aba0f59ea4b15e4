import { z } from 'zod';
import { problemSchema } from '../../platform/errors/problem.js';
import { paymentEventSchema } from '../normalize/index.js';
import { rawEventStatuses } from './raw-event.js';

/** The wire shapes of the ingest routes; the answer types are derived from them. */
export const rawEventSummarySchema = z.object({
  id: z.string(),
  status: z.enum(rawEventStatuses),
  provider: z.string().nullable(),
  providerEventId: z.string().nullable(),
  receivedAt: z.string(),
  error: z.string().nullable().describe('Why the event could not be normalized (unprocessed / dead)'),
  note: z.string().nullable().describe('Why the event was ignored, when it was'),
});
export type RawEventSummary = z.infer<typeof rawEventSummarySchema>;

export const ingestResponseSchema = z.object({
  rawEvent: rawEventSummarySchema,
  events: z.array(paymentEventSchema),
});

export const batchResponseSchema = z.object({
  items: z.array(
    z.object({
      index: z.number().int(),
      status: z
        .number()
        .int()
        .describe(
          '201 stored, 202 stored and queued (Prefer: respond-async), 200 duplicate of an event stored earlier, 4xx/503 not stored (see error)',
        ),
      rawEvent: rawEventSummarySchema.optional(),
      events: z.array(paymentEventSchema).optional(),
      error: problemSchema.optional(),
    }),
  ),
  summary: z.object({
    stored: z.number().int().describe('Stored and normalized now (201)'),
    queued: z.number().int().describe('Stored, to be normalized by the queue worker (202)'),
    duplicates: z.number().int(),
    failed: z.number().int(),
  }),
});
export type BatchResponse = z.infer<typeof batchResponseSchema>;

export const rawEventInfoSchema = z.object({
  id: z.string(),
  provider: z.string().nullable(),
  providerEventId: z.string().nullable(),
  status: z.enum(rawEventStatuses),
  error: z.string().nullable(),
  attempts: z.number().int().describe('Normalization attempts so far'),
  receivedAt: z.string(),
  nextAttemptAt: z.string().nullable().describe('When the worker retries it (unprocessed only)'),
  source: z.string(),
});
export type RawEventInfo = z.infer<typeof rawEventInfoSchema>;

export const rawEventActionSchema = z.object({ action: z.string(), keyId: z.string().nullable(), at: z.string() });
