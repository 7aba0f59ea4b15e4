import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createContainer, type Container } from '../../src/container.js';
import type { App } from '../../src/platform/http/types.js';
import { configFor } from '../harness/app.js';
import { harnessRedisUrl } from '../harness/stores.js';

/** Two instances sharing one real Redis enforce one per-tenant limit between them. */
describe('rate limits through Redis across instances', { tags: ['postgres', 'redis'] }, () => {
  const instances: { app: App; container: Container }[] = [];
  let key = '';

  beforeAll(async () => {
    const config = await configFor('postgres', { REDIS_URL: harnessRedisUrl(), RATE_LIMIT_PER_MINUTE: '6' });
    for (let i = 0; i < 2; i++) {
      const container = await createContainer(config);
      instances.push({ container, app: await buildApp(container, { logger: false }) });
    }
    const tenant = await instances[0]!.container.tenants.create(`rl-${Date.now()}`);
    key = (await instances[0]!.container.apiKeys.issue(tenant!.id, 'rl')).secret;
  });
  afterAll(async () => {
    for (const i of instances) {
      await i.app.close();
      await i.container.close();
    }
  });

  it('the seventh request in a minute, on either instance, is 429 rate_limited', async () => {
    const statuses: number[] = [];
    for (let n = 0; n < 6; n++) {
      const res = await instances[n % 2]!.app.inject({
        method: 'GET',
        url: '/v1/events',
        headers: { authorization: `Bearer ${key}` },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    const limited = await instances[1]!.app.inject({
      method: 'GET',
      url: '/v1/events',
      headers: { authorization: `Bearer ${key}` },
    });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toContain('application/problem+json');
    expect(limited.json()).toMatchObject({ code: 'rate_limited', status: 429 });
  });
});
