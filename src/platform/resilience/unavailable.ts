import { DependencyUnavailableError } from './breaker.js';

/** Socket-level failures: the peer is gone, refuses, or cannot be reached. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * PostgreSQL SQLSTATEs that mean "the server cannot serve this now" rather than "this query is
 * wrong": connection exceptions (class 08), too many connections, shutting down or starting up,
 * and a statement cancelled by statement_timeout.
 */
const UNAVAILABLE_SQLSTATES = new Set(['53300', '57P01', '57P02', '57P03', '57014']);

/** pg and pg-pool report a lost or never-made connection with these messages and no code. */
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection is closed',
];

/** Whether `error` says a dependency (PostgreSQL, Redis) is unreachable or overloaded, as opposed to a bad request or a bug. */
export function isDependencyUnavailable(error: unknown, depth = 0): boolean {
  if (error instanceof DependencyUnavailableError) return true;
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08')) return true;
  }
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string' && CONNECTION_MESSAGES.some((m) => message.includes(m))) return true;
  // AggregateError (a connect to every resolved address failed) and wrapped causes.
  const nested = (error as { errors?: unknown }).errors;
  if (Array.isArray(nested) && nested.length > 0 && nested.every((e) => isDependencyUnavailable(e, depth + 1)))
    return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && isDependencyUnavailable(cause, depth + 1);
}

/** Seconds a client should wait before retrying after `error` (the breaker's reset time when it said so). */
export function retryAfterSeconds(error: unknown): number {
  return error instanceof DependencyUnavailableError ? error.retryAfterSeconds : DEFAULT_RETRY_AFTER_SECONDS;
}

export const DEFAULT_RETRY_AFTER_SECONDS = 2;
