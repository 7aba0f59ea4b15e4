import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/harness/processes.js';
import { harnessRedisUrl } from '../../../test/harness/stores.js';
import { standaloneRedis } from '../../../test/harness/redis-topologies.js';
import { RedisLiveBus } from './live-bus.js';
import type { LiveEnvelope } from './live-message.js';

const logger = pino({ level: 'silent' });

function collect(bus: RedisLiveBus): LiveEnvelope[] {
  const seen: LiveEnvelope[] = [];
  bus.onMessage((e) => seen.push(e));
  return seen;
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('RedisLiveBus', () => {
  const buses: RedisLiveBus[] = [];
  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
  });

  it('carries a message to every instance exactly once, tenant included', { tags: ['redis'] }, async () => {
    const url = harnessRedisUrl();
    const a = new RedisLiveBus(standaloneRedis(url), logger);
    const b = new RedisLiveBus(standaloneRedis(url), logger);
    buses.push(a, b);
    const seenA = collect(a);
    const seenB = collect(b);
    await Promise.all([a.ready(), b.ready()]);

    a.publish('ten_1', { type: 'alert', data: { id: 'alr_1' } });
    await until(() => seenA.length > 0 && seenB.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(seenB).toEqual([{ tenantId: 'ten_1', message: { type: 'alert', data: { id: 'alr_1' } } }]);
    expect(seenA).toEqual(seenB);
  });

  it('with Redis unreachable, starts anyway and keeps local clients live without queueing', async () => {
    const deadUrl = `redis://127.0.0.1:${await freePort()}`;
    const bus = new RedisLiveBus(standaloneRedis(deadUrl), logger, 200);
    buses.push(bus);
    const seen = collect(bus);
    await bus.ready();
    bus.publish('ten_2', { type: 'event', data: { id: 'evt_1' } });
    expect(seen).toEqual([{ tenantId: 'ten_2', message: { type: 'event', data: { id: 'evt_1' } } }]);
  });
});
