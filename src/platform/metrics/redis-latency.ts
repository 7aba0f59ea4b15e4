import { tracingChannel } from 'node:diagnostics_channel';
import { Histogram } from 'prom-client';

/** Commands Paylens sends, named in the label; any other command counts as `other`. */
const COMMANDS = new Set([
  'evalsha',
  'eval',
  'script',
  'get',
  'set',
  'del',
  'exists',
  'expire',
  'pexpire',
  'pttl',
  'incr',
  'incrby',
  'decr',
  'hget',
  'hset',
  'hgetall',
  'hincrby',
  'zadd',
  'zcard',
  'zrange',
  'zrangebyscore',
  'zremrangebyscore',
  'multi',
  'exec',
  'publish',
  'subscribe',
  'ping',
  'info',
]);

interface CommandContext {
  command?: string;
  /** Set on `start`, read on `asyncEnd`/`error` (the context object is the one ioredis passes to every event). */
  paylensStarted?: number;
  paylensFailed?: boolean;
}

let histogram: Histogram<'command' | 'outcome'> | null = null;

/**
 * Redis command latency as ioredis (6+) reports it on its `ioredis:command` tracing channel, for
 * every client of the process whatever its topology (single, Sentinel, Cluster). The channel is
 * process-wide, so so is the histogram: every registry of the process shows the same one.
 */
export function redisCommandSeconds(): Histogram<'command' | 'outcome'> {
  if (histogram) return histogram;
  const metric = new Histogram({
    name: 'paylens_redis_command_duration_seconds',
    help: 'Redis command round trips by command (a fixed list, else other) and outcome (ok, error)',
    labelNames: ['command', 'outcome'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [],
  });
  const observe = (context: CommandContext) => {
    if (context.paylensStarted === undefined) return;
    const name = context.command?.toLowerCase() ?? '';
    metric.observe(
      { command: COMMANDS.has(name) ? name : 'other', outcome: context.paylensFailed ? 'error' : 'ok' },
      (performance.now() - context.paylensStarted) / 1000,
    );
  };
  tracingChannel<CommandContext, CommandContext>('ioredis:command').subscribe({
    start(context) {
      context.paylensStarted = performance.now();
    },
    end() {},
    asyncStart() {},
    asyncEnd: observe,
    error(context) {
      context.paylensFailed = true;
      // A rejected promise also reaches asyncEnd; a synchronous throw does not.
    },
  });
  histogram = metric;
  return metric;
}
