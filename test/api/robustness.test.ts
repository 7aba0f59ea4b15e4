import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, postEvent } from '../harness/app.js';

describe('ingest never answers 5xx to arbitrary input', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('pglite');
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (payload: string | Buffer, contentType = 'application/json', query = '') => postEvent(t, payload, { contentType, query });

  it('random JSON values are stored (2xx) or refused with a 4xx problem', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.constantFrom('', '?provider=stripe'), async (value, query) => {
        const res = await post(JSON.stringify(value), 'application/json', query);
        expect(res.statusCode).toBeLessThan(500);
        if (res.statusCode >= 400) expect(res.headers['content-type']).toContain('application/problem+json');
        else expect(['normalized', 'ignored', 'unprocessed']).toContain(res.json().rawEvent.status);
      }),
      { numRuns: 150 },
    );
  });

  it('Stripe-shaped objects with random fields never crash the connector', async () => {
    const stripeish = fc.record({
      id: fc.string().map((s) => `evt_${s}`),
      object: fc.constant('event'),
      type: fc.constantFrom('charge.succeeded', 'charge.failed', 'charge.refunded', 'payment_intent.payment_failed', 'charge.dispute.created', 'charge.updated'),
      created: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
      data: fc.record({ object: fc.dictionary(fc.string(), fc.jsonValue()), previous_attributes: fc.option(fc.dictionary(fc.string(), fc.jsonValue())) }),
    });
    await fc.assert(
      fc.asyncProperty(stripeish, async (event) => {
        const res = await post(JSON.stringify(event));
        expect(res.statusCode).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  });

  it('random bytes are refused with a 4xx problem or stored', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        const res = await post(Buffer.from(bytes));
        expect(res.statusCode).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  });
});
