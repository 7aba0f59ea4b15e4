import type { FastifyReply } from 'fastify';
import type { RedisClient } from '../redis/redis-client.js';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from '../errors/app-error.js';
import { DependencyUnavailableError } from '../resilience/breaker.js';

export interface RequestLimitSettings {
  enabled: boolean;
  /** Requests per API key per minute; 0 = no limit. */
  perKey: number;
  /** Requests per client address per minute; 0 = no limit. */
  perAddress: number;
  /** Failed authentications per client address (or address and webhook endpoint) per minute; 0 = no limit. */
  authFailures: number;
  /**
   * With Redis unreachable, `open` counts each instance's requests in memory (the limits hold per
   * instance, not across them); `closed` refuses every limited request with 503 until Redis is back.
   */
  onRedisDown?: 'open' | 'closed';
}

const WINDOW_SECONDS = 60;

function limiter(
  name: string,
  points: number,
  redis: RedisClient | null,
  onRedisDown: 'open' | 'closed',
): RateLimiterAbstract | null {
  if (points <= 0) return null;
  const options = { keyPrefix: `paylens:rl:${name}`, points, duration: WINDOW_SECONDS };
  if (!redis) return new RateLimiterMemory(options);
  return new RateLimiterRedis({
    ...options,
    storeClient: redis,
    // While the client is reconnecting, go straight to the fallback instead of waiting out a command timeout.
    rejectIfRedisNotReady: true,
    // Open: each instance counts alone rather than failing every request.
    ...(onRedisDown === 'open' ? { insuranceLimiter: new RateLimiterMemory(options) } : {}),
  });
}

/** What a limit answers when neither Redis nor a fallback could count: let through (open) or refuse with 503 (closed). */
function uncounted(onRedisDown: 'open' | 'closed', error: unknown): null {
  if (onRedisDown === 'open') return null;
  throw new DependencyUnavailableError('redis', 'request limits cannot be counted: Redis is unavailable', 2, {
    cause: error,
  });
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
  private readonly onRedisDown: 'open' | 'closed';

  constructor(settings: RequestLimitSettings, redis: RedisClient | null) {
    const mode = (this.onRedisDown = settings.onRedisDown ?? 'open');
    this.byKey = settings.enabled ? limiter('key', settings.perKey, redis, mode) : null;
    this.byAddress = settings.enabled ? limiter('addr', settings.perAddress, redis, mode) : null;
    this.failures = settings.enabled ? limiter('authfail', settings.authFailures, redis, mode) : null;
    this.enabled = this.byKey !== null || this.byAddress !== null || this.failures !== null;
  }

  /** Counts one request made with an API key (its id). */
  key(keyId: string): Promise<number | null> {
    return this.consume(this.byKey, keyId);
  }

  /**
   * Counts one request from a client address. `failOpen` lets it through uncounted when Redis is
   * down even in closed mode: health probes must answer whatever Redis does (a refused liveness
   * probe would restart a healthy process; readiness reports Redis itself).
   */
  address(address: string, failOpen = false): Promise<number | null> {
    return this.consume(this.byAddress, address, failOpen);
  }

  /** Whether `subject` has used up its failed authentications; counts nothing. */
  async failuresExceeded(subject: string): Promise<number | null> {
    if (!this.failures) return null;
    let state: RateLimiterRes | null;
    try {
      state = await this.failures.get(subject);
    } catch (error) {
      return uncounted(this.onRedisDown, error);
    }
    return state && state.consumedPoints >= this.failures.points ? retrySeconds(state) : null;
  }

  /** Records one failed authentication of `subject`. */
  async failed(subject: string): Promise<void> {
    // Nothing to refuse here (the answer is already a 401): an uncounted failure is only lost.
    await this.consume(this.failures, subject).catch(() => null);
  }

  private async consume(
    limiter: RateLimiterAbstract | null,
    subject: string,
    failOpen = false,
  ): Promise<number | null> {
    if (!limiter) return null;
    try {
      await limiter.consume(subject);
      return null;
    } catch (outcome) {
      if (outcome instanceof RateLimiterRes) return retrySeconds(outcome);
      return uncounted(failOpen ? 'open' : this.onRedisDown, outcome);
    }
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
