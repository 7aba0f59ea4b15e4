import { z } from 'zod';
import { errorCodes, problemType, type ErrorCode } from './codes.js';

const errorCodeNames = Object.keys(errorCodes) as [ErrorCode, ...ErrorCode[]];

/** RFC 9457 problem details as every answer and batch item carries them; extensions ride along. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    code: z.enum(errorCodeNames),
  })
  .passthrough()
  .describe('RFC 9457 problem details');

export type Problem = z.infer<typeof problemSchema>;

/** The problem of a whole request: the item fields plus where and for which request it happened. */
export const requestProblemSchema = problemSchema
  .extend({ requestId: z.string(), instance: z.string().optional() })
  .describe('RFC 9457 problem details');

export type RequestProblem = z.infer<typeof requestProblemSchema>;

/** The one builder of a problem body from its registered code; extensions never override the standard fields. */
export function problem(code: ErrorCode, detail?: string, extensions: Record<string, unknown> = {}): Problem {
  const { status, title } = errorCodes[code];
  return { ...extensions, type: problemType(code), title, status, ...(detail === undefined ? {} : { detail }), code };
}
