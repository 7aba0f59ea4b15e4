import type { FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from '../errors/app-error.js';

export interface RequestLimitSettings {
  enabled: boolean;
  /** Requests per API key per minute; 0 = no limit. */
  perKey: number;
  /** Requests per client address per minute; 0 = no limit. */
  perAddress: number;
  /** Failed authentications per client address (or address and webhook endpoint) per minute; 0 = no limit. */
  authFailures: number;
}

const WINDOW_SECONDS = 60;

function limiter(name: string, points: number, redis: Redis | null): RateLimiterAbstract | null {
  if (points <= 0) return null;
  const options = { keyPrefix: `paylens:rl:${name}`, points, duration: WINDOW_SECONDS };
  if (!redis) return new RateLimiterMemory(options);
  // While Redis is unreachable each instance counts alone rather than failing every request.
  return new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: new RateLimiterMemory(options) });
}

/**
 * The request limits, fixed one-minute windows counted in Redis (so they hold across instances) when
 * there is one, in memory otherwise. Each check answers the seconds to wait when over the limit.
 */
export class RequestLimits {
  private readonly byKey: RateLimiterAbstract | null;
  private readonly byAddress: RateLimiterAbstract | null;
  private readonly failures: RateLimiterAbstract | null;

  /** Whether any limit is counted at all (false: requests pay nothing for them). */
  readonly enabled: boolean;

  constructor(settings: RequestLimitSettings, redis: Redis | null) {
    this.byKey = settings.enabled ? limiter('key', settings.perKey, redis) : null;
    this.byAddress = settings.enabled ? limiter('addr', settings.perAddress, redis) : null;
    this.failures = settings.enabled ? limiter('authfail', settings.authFailures, redis) : null;
    this.enabled = this.byKey !== null || this.byAddress !== null || this.failures !== null;
  }

  /** Counts one request made with an API key (its id). */
  key(keyId: string): Promise<number | null> {
    return consume(this.byKey, keyId);
  }

  /** Counts one request from a client address. */
  address(address: string): Promise<number | null> {
    return consume(this.byAddress, address);
  }

  /** Whether `subject` has used up its failed authentications; counts nothing. */
  async failuresExceeded(subject: string): Promise<number | null> {
    if (!this.failures) return null;
    const state = await this.failures.get(subject);
    return state && state.consumedPoints >= this.failures.points ? retrySeconds(state) : null;
  }

  /** Records one failed authentication of `subject`. */
  async failed(subject: string): Promise<void> {
    await consume(this.failures, subject);
  }
}

async function consume(limiter: RateLimiterAbstract | null, subject: string): Promise<number | null> {
  if (!limiter) return null;
  try {
    await limiter.consume(subject);
    return null;
  } catch (outcome) {
    if (outcome instanceof RateLimiterRes) return retrySeconds(outcome);
    // Neither Redis nor the in-memory insurance could count: let the request through rather than refuse everyone.
    return null;
  }
}

function retrySeconds(state: RateLimiterRes): number {
  return Math.max(1, Math.ceil(state.msBeforeNext / 1000));
}

/** The 429 answer: problem+json `rate_limited` with Retry-After. */
export function rateLimited(reply: FastifyReply, retryAfterSeconds: number, what: string): AppError {
  reply.header('retry-after', String(retryAfterSeconds));
  return new AppError('rate_limited', `${what}; retry after ${retryAfterSeconds} s`, { retryAfter: retryAfterSeconds });
}
