import pino, { type Logger, type LoggerOptions } from 'pino';

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { service: 'paylens' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Credentials and payloads never reach logs.
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-admin-token"]', 'req.headers.cookie', '*.secret', '*.apiKey', 'body', 'payload'],
      censor: '[redacted]',
    },
  };
}

export function createLogger(level: string): Logger {
  return pino(loggerOptions(level));
}
