import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requestProblemSchema } from '../errors/problem.js';

/** The Fastify instance type every module's routes are written against. */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** Standard error responses to document on a route. */
export function problemResponses(...statuses: number[]): Record<number, typeof requestProblemSchema> {
  return Object.fromEntries(statuses.map((s) => [s, requestProblemSchema]));
}
