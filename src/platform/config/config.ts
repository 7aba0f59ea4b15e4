import { z } from 'zod';
import { isTrustedProxyEntry } from '../http/client-address.js';
import { parseRedisAddresses, redisSettingsIssues } from '../redis/redis-topology.js';

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

const optionalUrl = (protocols: string[]) =>
  optionalString.refine(
    (v) => v === undefined || protocols.some((p) => v.startsWith(`${p}:`)),
    `must start with ${protocols.map((p) => `${p}:`).join(' or ')}`,
  );

const redisAddresses = optionalString.refine(
  (v) => v === undefined || parseRedisAddresses(v) !== null,
  'must be comma-separated host:port entries',
);

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  PAYLENS_DATA_DIR: z.string().min(1).default('./.paylens/data'),
  DATABASE_URL: optionalUrl(['postgres', 'postgresql']),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(20),
  /** How long a query waits for a pool connection (behind others, or connecting) before failing with 503. */
  DATABASE_POOL_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  /** Idle pool connections are closed after this long. */
  DATABASE_POOL_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1000).default(30_000),
  /** PostgreSQL statement_timeout on every pool connection (not migrations); 0 = none. */
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
  REDIS_URL: optionalUrl(['redis', 'rediss']),
  /** A Redis command on the request path (limits, velocity) fails after this long, and the caller falls back. */
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(10).default(500),
  REDIS_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(2000),
  /** Sentinel instead of REDIS_URL: the sentinels (host:port,…) and the primary's name they monitor. */
  REDIS_SENTINELS: redisAddresses,
  REDIS_SENTINEL_NAME: optionalString,
  /** Redis Cluster instead of REDIS_URL: some of its nodes (host:port,…); the rest are discovered. */
  REDIS_CLUSTER_NODES: redisAddresses,
  /** The data nodes' password with REDIS_SENTINELS or REDIS_CLUSTER_NODES (REDIS_URL carries its own). */
  REDIS_PASSWORD: optionalString,
  REDIS_SENTINEL_PASSWORD: optionalString,
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  MAX_BATCH_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024 * 1024),
  PAYLENS_BOOTSTRAP_API_KEY: optionalString.refine(
    (v) => v === undefined || /^pl_[A-Za-z0-9_-]{43,}$/.test(v),
    'must look like pl_<at least 43 base64url characters> (32 random bytes)',
  ),
  PAYLENS_ADMIN_TOKEN: optionalString.refine(
    (v) => v === undefined || v.length >= 24,
    'must be at least 24 characters',
  ),
  PAYLENS_CUSTOMER_KEY_SALT: optionalString.refine(
    (v) => v === undefined || v.length >= 16,
    'must be at least 16 characters',
  ),
  PAYLENS_ENCRYPTION_KEY: optionalString.refine(
    (v) => v === undefined || /^[0-9a-fA-F]{64}$/.test(v),
    'must be 64 hex characters (32 bytes)',
  ),
  WRITE_BATCH_MAX: z.coerce.number().int().min(1).max(5000).default(256),
  WRITE_BATCH_DELAY_MS: z.coerce.number().min(0).max(1000).default(2),
  API_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).default(10_000),
  /** false turns every request limit below off (benchmarks); each limit's 0 turns that one off. */
  RATE_LIMIT_ENABLED: booleanFromEnv.default(true),
  /** Requests per API key per minute (/v1 and /ws upgrades). */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(6000),
  /** Requests per client address per minute, whatever they carry (API, webhooks, /ws, /admin, dashboard). */
  RATE_LIMIT_IP_PER_MINUTE: z.coerce.number().int().min(0).default(12_000),
  /** Failed authentications per client address per minute (webhooks: per address and endpoint) before 429. */
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(0).default(20),
  /** With Redis unreachable: open counts each instance's requests in memory; closed answers 503 to every limited request. */
  RATE_LIMIT_ON_REDIS_DOWN: z.enum(['open', 'closed']).default('open'),
  /** Proxies whose X-Forwarded-For is believed (addresses, CIDRs, or loopback/linklocal/uniquelocal); none by default. */
  TRUSTED_PROXIES: optionalString.refine(
    (v) => v === undefined || v.split(',').every((p) => isTrustedProxyEntry(p.trim())),
    'must be comma-separated IP addresses or CIDRs (or loopback, linklocal, uniquelocal)',
  ),
  NORMALIZE_MIN_CONFIDENCE: z.coerce.number().min(0).max(1).default(0.6),
  AI_BASE_URL: optionalUrl(['http', 'https']),
  AI_MODEL: optionalString,
  AI_API_KEY: optionalString,
  AI_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** Calls made on a tenant's behalf (alert webhooks, Mercado Pago, PayPal) may use plain http. */
  OUTBOUND_ALLOW_HTTP: booleanFromEnv.default(false),
  /** ...and may reach loopback, private, link-local and other non-public addresses. */
  OUTBOUND_ALLOW_PRIVATE: booleanFromEnv.default(false),
  MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  WORKER_POLL_MS: z.coerce.number().int().min(10).default(1000),
  /** How often a worker looks for events other processes queued (its own it drains at once). */
  INTAKE_QUEUE_POLL_MS: z.coerce.number().int().min(10).default(1000),
  /** How long a queue worker's claim holds: a worker that dies mid-pass delays its events this long. */
  INTAKE_QUEUE_LEASE_MS: z.coerce.number().int().min(1000).default(30_000),
  RUN_WORKER_IN_SERVER: booleanFromEnv.optional(),
  ALERT_CHECK_INTERVAL_MS: z.coerce.number().int().min(0).default(60_000),
  ROLLUP_MINUTE_RETENTION_DAYS: z.coerce.number().int().min(1).default(7),
  /** Raw payloads older than this are dropped (whole months, then the rest); unset keeps them. Also the dedupe window. */
  RAW_EVENT_RETENTION_DAYS: z.coerce.number().int().min(1).optional(),
  /** A streaming replica of DATABASE_URL: lists, analytics and reads by id (read-your-writes: the primary when it lacks the row). */
  DATABASE_READ_URL: optionalUrl(['postgres', 'postgresql']),
  DATALAKE_DATABASE_URL: optionalUrl(['postgres', 'postgresql']),
  /** Seconds between the long-running data-lake poller's passes (`paylens datalake poll` without --once). */
  DATALAKE_POLL_INTERVAL_S: z.coerce.number().int().min(1).max(86_400).default(60),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl(['http', 'https']),
  /** Errors (5xx answers, uncaught exceptions) are reported to this Sentry DSN when set. */
  SENTRY_DSN: optionalUrl(['http', 'https']),
  CORS_ORIGINS: optionalString,
  /** With a token, GET /metrics on the API port needs it as a Bearer token; without, /metrics is only on METRICS_HOST:METRICS_PORT. */
  METRICS_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 24, 'must be at least 24 characters'),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Where the dashboard is reached, e.g. https://paylens.example.com: invitation links and the SSO redirect URI. */
  PAYLENS_PUBLIC_URL: optionalUrl(['http', 'https']).transform((v) =>
    v === undefined ? undefined : v.replace(/\/$/, ''),
  ),
  /** A dashboard session ends after this long without a request... */
  SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(1440).default(30),
  /** ...and this long after sign-in, whatever its use. */
  SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(720).default(12),
  /** How long an invitation link can be accepted. */
  INVITATION_TTL_HOURS: z.coerce.number().int().min(1).max(720).default(72),
  /** Serves the OpenAPI description at /docs and /docs/json (also in the repository as docs/openapi.json). */
  API_DOCS: booleanFromEnv.default(false),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates configuration once; the message names every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable (PORT= in a .env file) means "not set", not zero or the empty string.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const redisIssues = redisSettingsIssues(parsed.data);
  if (redisIssues.length > 0) throw new ConfigError(redisIssues);
  return parsed.data;
}

export function isEmbedded(config: Config): boolean {
  return config.DATABASE_URL === undefined;
}
