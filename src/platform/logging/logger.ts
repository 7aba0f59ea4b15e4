import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { PrettyOptions } from 'pino-pretty';

export const logFormats = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof logFormats)[number];

/** The format asked for in LOG_FORMAT (validated by the config at start); unset or unknown means auto. */
function requestedFormat(): LogFormat {
  const value = process.env.LOG_FORMAT;
  return logFormats.find((f) => f === value) ?? 'auto';
}

let pretty: DestinationStream | null | undefined;

/**
 * pino-pretty is a devDependency: there after `npm ci`, absent from a production install, where
 * the logs stay JSON. One stream serves every logger of the process so their lines never interleave.
 */
function prettyStream(): DestinationStream | null {
  if (pretty !== undefined) return pretty;
  try {
    const build = createRequire(import.meta.url)('pino-pretty') as (options: PrettyOptions) => DestinationStream;
    pretty = build({ sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' });
  } catch {
    pretty = null;
  }
  return pretty;
}

/**
 * A person at a terminal reads lines (auto on a TTY, or pretty); pipes, files and log collectors get
 * one JSON object per line (auto elsewhere, or json).
 */
function destination(format: LogFormat): DestinationStream | undefined {
  const readable = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  return (readable ? prettyStream() : null) ?? undefined;
}

export function loggerOptions(
  level: string,
  format: LogFormat = requestedFormat(),
): LoggerOptions & { stream?: DestinationStream } {
  const stream = destination(format);
  return {
    level,
    base: { service: 'paylens' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Credentials and payloads never reach logs.
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-admin-token"]',
        'req.headers.cookie',
        '*.secret',
        '*.apiKey',
        'body',
        'payload',
      ],
      censor: '[redacted]',
    },
    ...(stream ? { stream } : {}),
  };
}

export function createLogger(level: string): Logger {
  const { stream, ...options } = loggerOptions(level);
  return stream ? pino(options, stream) : pino(options);
}
