/**
 * Exponential backoff with "equal jitter": the delay doubles per failed attempt up to a cap, and
 * half of it is random so that events that failed together (a provider outage) do not all come due
 * in the same instant.
 */
export function retryDelayMs(
  attempts: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(capMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
