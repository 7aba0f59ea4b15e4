import { sql } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createContainer, type Container } from '../../src/container.js';
import { loadConfig } from '../../src/platform/config/config.js';
import type { App } from '../../src/platform/http/types.js';
import { createPostgresDatabase, type StoreKind } from './stores.js';

export interface TestApp {
  app: App;
  container: Container;
  apiKey: string;
  tenantId: string;
  /** Creates another tenant and returns its key, for isolation tests. */
  newTenant(name: string): Promise<{ tenantId: string; apiKey: string }>;
  close(): Promise<void>;
}

export interface PostEventOptions {
  apiKey?: string;
  /** Query string including its `?`. */
  query?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** POST /v1/events as a client would: a value is sent as JSON, a string or buffer as is. */
export function postEvent(t: TestApp, payload: unknown, options: PostEventOptions = {}) {
  const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
  return t.app.inject({
    method: 'POST',
    url: `/v1/events${options.query ?? ''}`,
    headers: {
      authorization: `Bearer ${options.apiKey ?? t.apiKey}`,
      'content-type': options.contentType ?? 'application/json',
      ...options.headers,
    },
    payload: body,
  });
}

/** A call as an API client makes it: its key, and the payload (when there is one) as JSON. */
export function callApi(
  t: TestApp,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  payload?: unknown,
  apiKey = t.apiKey,
) {
  return t.app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${apiKey}`,
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });
}

/** The harness's /metrics token: test apps serve /metrics on their port behind it, as a deployment with METRICS_TOKEN does. */
/**
 * Runs `run` while the database refuses any normalized event of payment `paymentId` (a CHECK
 * constraint): a row the database itself turns down, whatever the input checks let through.
 */
export async function whileDatabaseRefuses<T>(t: TestApp, paymentId: string, run: () => Promise<T>): Promise<T> {
  const name = sql.ref(`refuse_${paymentId.replace(/\W/g, '_')}`);
  await sql`ALTER TABLE payment_events ADD CONSTRAINT ${name} CHECK (provider_payment_id IS DISTINCT FROM ${sql.lit(paymentId)})`.execute(
    t.container.db,
  );
  try {
    return await run();
  } finally {
    await sql`ALTER TABLE payment_events DROP CONSTRAINT ${name}`.execute(t.container.db);
  }
}

export const TEST_METRICS_TOKEN = 'metrics-token-for-tests-0123456789';

export async function configFor(store: StoreKind, env: Record<string, string> = {}) {
  return loadConfig({
    LOG_LEVEL: 'silent',
    PAYLENS_DATA_DIR: 'memory://',
    PAYLENS_CUSTOMER_KEY_SALT: 'test-salt-0123456789',
    WRITE_BATCH_DELAY_MS: '1',
    // Tests read the API description and the metrics; the request limits stay on, high enough that
    // a test file's traffic from one address never meets them (test/security/rate-limit.test.ts sets its own).
    API_DOCS: 'true',
    METRICS_TOKEN: TEST_METRICS_TOKEN,
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_IP_PER_MINUTE: '1000000',
    ...(store === 'postgres' ? { DATABASE_URL: await createPostgresDatabase() } : {}),
    ...env,
  });
}

/** An app of the test's own (its own settings, or several at once); a suite's one app comes from appForSuite. */
export async function createTestApp(store: StoreKind, env: Record<string, string> = {}): Promise<TestApp> {
  const container = await createContainer(await configFor(store, env));
  const app = await buildApp(container, { logger: false });
  await app.ready();
  const newTenant = async (name: string) => {
    const tenant = await container.tenants.create(name);
    if (!tenant) throw new Error(`tenant ${name} exists`);
    const issued = await container.apiKeys.issue(tenant.id, 'test');
    return { tenantId: tenant.id, apiKey: issued.secret };
  };
  const first = await newTenant('acme');
  return {
    app,
    container,
    apiKey: first.apiKey,
    tenantId: first.tenantId,
    newTenant,
    close: async () => {
      await app.close();
      await container.close();
    },
  };
}

/**
 * One app for the suite it is called in: created before its first test, closed after its last. The
 * returned object is filled in by then, so tests use it as they would createTestApp's answer. Call it
 * before the suite's other hooks: its app then exists in theirs and is closed after them.
 */
export function appForSuite(
  store: StoreKind,
  env: Record<string, string> = {},
  options: { timeoutMs?: number } = {},
): TestApp {
  const suite = {} as TestApp;
  beforeAll(async () => {
    Object.assign(suite, await createTestApp(store, env));
  }, options.timeoutMs);
  afterAll(async () => {
    // Absent when the app could not be made: the failure of beforeAll is the one to read.
    await suite.close?.();
  });
  return suite;
}

export interface Instance {
  app: App;
  container: Container;
}

/**
 * `count` instances of the app side by side on one configuration (one PostgreSQL database, one
 * Redis), as a deployment runs them: made before the suite's first test, closed after its last.
 * `env` is read then, so it may name what only a run that has it offers (harnessRedisUrl()).
 */
export function instancesForSuite(
  count: number,
  env: () => Record<string, string>,
  options: { timeoutMs?: number } = {},
): Instance[] {
  const instances: Instance[] = [];
  beforeAll(async () => {
    const config = await configFor('postgres', env());
    for (let i = 0; i < count; i++) {
      const container = await createContainer(config);
      instances.push({ container, app: await buildApp(container, { logger: false }) });
    }
  }, options.timeoutMs);
  afterAll(async () => {
    for (const i of instances) {
      await i.app.close();
      await i.container.close();
    }
  });
  return instances;
}
