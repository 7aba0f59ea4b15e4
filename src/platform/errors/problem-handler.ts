import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { isDependencyUnavailable, retryAfterSeconds } from '../resilience/unavailable.js';
import { AppError } from './app-error.js';
import { errorCodes, type ErrorCode } from './codes.js';
import { problem, type RequestProblem } from './problem.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemBody(
  code: ErrorCode,
  request: FastifyRequest,
  detail?: string,
  extensions: Record<string, unknown> = {},
): RequestProblem {
  return { ...problem(code, detail, extensions), requestId: request.id, instance: request.url.split('?')[0] };
}

export function sendProblem(
  reply: FastifyReply,
  code: ErrorCode,
  detail?: string,
  extensions: Record<string, unknown> = {},
): FastifyReply {
  const body = problemBody(code, reply.request, detail, extensions);
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

const fastifyCodeMap: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
};

function describeFastifyError(error: FastifyError): {
  code: ErrorCode;
  detail?: string;
  extensions?: Record<string, unknown>;
} {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = error.validation.map((v) => ({
      field: [error.validationContext, ...String(v.instancePath).split('/').filter(Boolean)].join('.'),
      message: v.message,
    }));
    return {
      code: 'validation_failed',
      detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '),
      extensions: { errors },
    };
  }
  const mapped = error.code ? fastifyCodeMap[error.code] : undefined;
  if (mapped === 'payload_too_large') return { code: mapped, detail: 'The request body exceeds the configured limit' };
  if (mapped) return { code: mapped, detail: error.message };
  if (error instanceof SyntaxError || (error.statusCode === 400 && /JSON/i.test(error.message))) {
    return { code: 'invalid_json', detail: error.message };
  }
  if (error.statusCode === 429) return { code: 'rate_limited', detail: error.message };
  if (error.statusCode === 404) return { code: 'not_found', detail: error.message };
  if (error.statusCode === 413) return { code: 'payload_too_large', detail: error.message };
  if (error.statusCode === 415) return { code: 'unsupported_media_type', detail: error.message };
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return { code: 'bad_request', detail: error.message };
  }
  return { code: 'internal' };
}

/** Every error leaves as RFC 9457 problem+json; 5xx details stay in the log, never in the response. */
export function registerProblemHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      if (error.status >= 500) request.log.error({ err: error }, 'request failed');
      return sendProblem(reply, error.code, error.status >= 500 ? undefined : error.detail, error.extensions);
    }
    // The database or Redis is down (or its circuit open): not the client's fault, and worth retrying shortly.
    if (isDependencyUnavailable(error)) {
      request.log.warn({ err: error }, 'request failed: a dependency is unavailable');
      reply.header('retry-after', String(retryAfterSeconds(error)));
      return sendProblem(reply, 'unavailable', 'A dependency is unavailable; retry later');
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error }, 'response did not match its schema');
      return sendProblem(reply, 'internal');
    }
    const { code, detail, extensions } = describeFastifyError(error);
    if (errorCodes[code].status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return sendProblem(reply, code);
    }
    return sendProblem(reply, code, detail, extensions);
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, 'not_found', `No route for ${request.method} ${request.url.split('?')[0]}`),
  );
}
