import type { Logger } from 'pino';

/**
 * One warning when a Redis connection is lost and one line when it is back, instead of an error line
 * per reconnect attempt (ioredis reconnects for ever on its own, so recovery needs no restart).
 */
export function logRedisOutages(
  client: { on(event: 'error' | 'ready', listener: (error?: Error) => void): unknown },
  role: string,
  logger: Pick<Logger, 'warn' | 'info'>,
): void {
  let down = false;
  client.on('error', (error) => {
    if (down) return;
    down = true;
    logger.warn({ err: error, redis: role }, 'redis unreachable; reconnecting in the background');
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({ redis: role }, 'redis reachable again');
  });
}
