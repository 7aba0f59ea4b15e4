import CircuitBreaker from 'opossum';
import type { Logger } from 'pino';

export type BreakerState = 'closed' | 'half_open' | 'open';

/** The gauge's value per state: alert rules compare against these numbers. */
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/**
 * A dependency could not be used (down, circuit open, timed out): the request is not the client's
 * fault and may succeed later, so it answers 503 `unavailable` with Retry-After.
 */
export class DependencyUnavailableError extends Error {
  constructor(
    readonly dependency: string,
    message: string,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DependencyUnavailableError';
  }
}

export interface BreakerOptions {
  /** Share of failed calls in the rolling window that opens the circuit. */
  errorThresholdPercentage?: number;
  /** Calls in the window before the share counts at all (a single failed call never opens it). */
  volumeThreshold?: number;
  /** How long the circuit stays open before one trial call goes through. */
  resetTimeoutMs?: number;
  /**
   * A call that has not settled after this long fails (and counts): for clients without a timeout of
   * their own on this path. The call itself is not cancelled; its late result is dropped.
   */
  timeoutMs?: number;
  /** Failures that say nothing about the dependency's health (a unique violation is the caller's) do not count. */
  isFailure?: (error: unknown) => boolean;
}

/**
 * A circuit breaker around one dependency: while open, calls fail at once with
 * DependencyUnavailableError instead of each waiting out a connect timeout, and every
 * `resetTimeoutMs` one trial call probes whether the dependency is back.
 */
export class DependencyBreaker {
  private readonly breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  private readonly listeners = new Set<(state: BreakerState) => void>();
  readonly retryAfterSeconds: number;

  constructor(
    readonly name: string,
    logger: Pick<Logger, 'warn' | 'info'>,
    options: BreakerOptions = {},
    counters: { rejected(): void; failed(): void } = { rejected: () => undefined, failed: () => undefined },
  ) {
    const resetTimeout = options.resetTimeoutMs ?? 2000;
    this.retryAfterSeconds = Math.max(1, Math.ceil(resetTimeout / 1000));
    const isFailure = options.isFailure;
    this.breaker = new CircuitBreaker((action: () => Promise<unknown>) => action(), {
      // By default timeouts are the clients' own (pool acquire): a breaker timeout would not cancel the call.
      timeout: options.timeoutMs ?? false,
      errorThresholdPercentage: options.errorThresholdPercentage ?? 50,
      volumeThreshold: options.volumeThreshold ?? 5,
      resetTimeout,
      rollingCountTimeout: 10_000,
      rollingCountBuckets: 10,
      // opossum's errorFilter: true means "not a failure".
      ...(isFailure ? { errorFilter: (error: unknown) => !isFailure(error) } : {}),
    });
    this.breaker.on('open', () => {
      logger.warn({ breaker: name }, `${name} circuit opened: calls fail fast until a trial call succeeds`);
      this.emit('open');
    });
    this.breaker.on('reject', () => counters.rejected());
    this.breaker.on('failure', () => counters.failed());
    this.breaker.on('halfOpen', () => this.emit('half_open'));
    this.breaker.on('close', () => {
      logger.info({ breaker: name }, `${name} circuit closed: the dependency answers again`);
      this.emit('closed');
    });
  }

  get state(): BreakerState {
    if (this.breaker.opened) return 'open';
    if (this.breaker.halfOpen) return 'half_open';
    return 'closed';
  }

  onStateChange(listener: (state: BreakerState) => void): void {
    this.listeners.add(listener);
  }

  async run<T>(action: () => Promise<T>): Promise<T> {
    try {
      return (await this.breaker.fire(action)) as T;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'EOPENBREAKER')
        throw new DependencyUnavailableError(this.name, `${this.name} circuit open`, this.retryAfterSeconds);
      throw error;
    }
  }

  shutdown(): void {
    this.breaker.shutdown();
    this.listeners.clear();
  }

  private emit(state: BreakerState): void {
    for (const listener of this.listeners) listener(state);
  }
}
