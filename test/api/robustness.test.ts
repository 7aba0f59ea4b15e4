import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { errorCodes, type ErrorCode } from '../../src/platform/errors/codes.js';
import { callApi, postEvent, appForSuite } from '../harness/app.js';

/** Card-number masking may rewrite twelve or more digits in a row, or an escape that could spell one; other text is stored as sent. */
const mayHoldCardNumber = /\d(?:[ .-]?\d){11}|\\u|&#/;

describe('ingest never answers 5xx to arbitrary input', () => {
  const t = appForSuite('pglite');

  const post = (payload: string | Buffer, contentType = 'application/json', query = '') =>
    postEvent(t, payload, { contentType, query });

  /** A 4xx problem+json with a registered code and its status, or a 2xx whose raw event reads back as stored. */
  async function expectRefusedOrStored(res: LightMyRequestResponse, sent: string): Promise<void> {
    expect(res.statusCode).toBeLessThan(500);
    if (res.statusCode >= 400) {
      expect(res.headers['content-type']).toContain('application/problem+json');
      const problem = res.json() as { code: string; status: number };
      expect(problem.status).toBe(res.statusCode);
      expect(errorCodes[problem.code as ErrorCode]?.status).toBe(res.statusCode);
      return;
    }
    expect([200, 201]).toContain(res.statusCode);
    const { rawEvent, events } = res.json() as {
      rawEvent: { id: string; status: string };
      events: Array<{ id: string }>;
    };
    expect(['normalized', 'ignored', 'unprocessed']).toContain(rawEvent.status);
    const read = await callApi(t, 'GET', `/v1/raw-events/${rawEvent.id}`);
    expect(read.statusCode).toBe(200);
    const stored = read.json() as { id: string; payload: string; events: Array<{ id: string }> };
    expect(stored.id).toBe(rawEvent.id);
    expect(stored.events.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
    // A provider event id seen before answers with the first delivery, stored once: its payload is that one's.
    if (res.headers['idempotent-replayed'] === 'true') expect(res.statusCode).toBe(200);
    else if (!mayHoldCardNumber.test(sent)) expect(stored.payload).toBe(sent);
  }

  it('random JSON values are stored (2xx) or refused with a 4xx problem', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.constantFrom('', '?provider=stripe'), async (value, query) => {
        const body = JSON.stringify(value);
        await expectRefusedOrStored(await post(body, 'application/json', query), body);
      }),
      { numRuns: 150 },
    );
  });

  it('Stripe-shaped objects with random fields are stored or refused with a 4xx problem, never crash the connector', async () => {
    const stripeish = fc.record({
      id: fc.string().map((s) => `evt_${s}`),
      object: fc.constant('event'),
      type: fc.constantFrom(
        'charge.succeeded',
        'charge.failed',
        'charge.refunded',
        'payment_intent.payment_failed',
        'charge.dispute.created',
        'charge.updated',
      ),
      created: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
      data: fc.record({
        object: fc.dictionary(fc.string(), fc.jsonValue()),
        previous_attributes: fc.option(fc.dictionary(fc.string(), fc.jsonValue())),
      }),
    });
    await fc.assert(
      fc.asyncProperty(stripeish, async (event) => {
        const body = JSON.stringify(event);
        await expectRefusedOrStored(await post(body), body);
      }),
      { numRuns: 150 },
    );
  });

  it('random bytes are refused with a 4xx problem or stored', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        const body = Buffer.from(bytes);
        await expectRefusedOrStored(await post(body), body.toString('utf8'));
      }),
      { numRuns: 150 },
    );
  });
});
