import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/harness/app.js';

type Mode = 'valid' | 'garbage' | 'invalid-schema';

/** A local OpenAI-compatible endpoint: answers /v1/chat/completions as the test's mode says. */
class FakeOpenAi {
  mode: Mode = 'valid';
  requests: {
    model: string;
    responseFormat: { type: string; json_schema?: { name: string; strict: boolean; schema: { required: string[] } } };
    user: string;
  }[] = [];
  private server: Server | null = null;
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => void this.answer(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += chunk;
    const request = JSON.parse(body);
    this.requests.push({
      model: request.model,
      responseFormat: request.response_format,
      user: request.messages.at(-1).content,
    });
    const content =
      this.mode === 'garbage'
        ? 'Sure! The amount is twelve dollars.'
        : JSON.stringify({
            type: 'sale',
            status: 'approved',
            amount: this.mode === 'valid' ? '12.00' : 'twelve',
            currency: 'USD',
            providerPaymentId: 'memo-1',
            failureReason: null,
            providerCode: null,
            providerMessage: null,
            email: 'buyer@shop.example',
            cardBrand: null,
            cardBin: null,
            cardLast4: '4242',
            occurredAt: '2026-11-24T10:00:00Z',
            confidence: 0.8,
          });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: request.model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      }),
    );
  }
}

describe('AI normalizer through the intake (fake OpenAI-compatible server)', () => {
  const fake = new FakeOpenAi();
  let t: TestApp;
  let n = 0;
  const post = (payload: unknown) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    });
  const lowConfidence = () => ({
    memo: `Paid twelve dollars, card 4111 1111 1111 1111 (#${++n})`,
    reference: `memo-${n}`,
  });

  beforeAll(async () => {
    await fake.start();
    t = await createTestApp('pglite', {
      AI_BASE_URL: `http://127.0.0.1:${fake.port}/v1`,
      AI_MODEL: 'fake-model',
      AI_TIMEOUT_MS: '2000',
    });
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });

  it('stores the validated answer as an event with method ai, asking for the canonical JSON schema', async () => {
    fake.mode = 'valid';
    const res = await post(lowConfidence());
    expect(res.statusCode).toBe(201);
    expect(res.json().rawEvent.status).toBe('normalized');
    expect(res.json().events[0]).toMatchObject({
      normalizationMethod: 'ai',
      confidence: 0.8,
      amountMinor: 1200,
      currency: 'USD',
      status: 'approved',
      emailDomain: 'shop.example',
      card: { last4: '4242' },
      occurredAt: '2026-11-24T10:00:00.000Z',
    });
    const sent = fake.requests.at(-1)!;
    expect(sent.model).toBe('fake-model');
    expect(sent.responseFormat).toMatchObject({
      type: 'json_schema',
      json_schema: { name: 'canonical_payment_event', strict: true },
    });
    expect(sent.responseFormat.json_schema?.schema.required).toEqual(
      expect.arrayContaining(['amount', 'currency', 'status', 'type']),
    );
    // The model only ever sees masked card numbers.
    expect(sent.user).toContain('411111******1111');
    expect(sent.user).not.toContain('4111 1111 1111 1111');
  });

  it('does not call the model when the heuristics are confident', async () => {
    const before = fake.requests.length;
    const res = await post({
      id: 'h-1',
      amount: '3.10',
      currency: 'EUR',
      status: 'paid',
      created: '2026-11-24T09:00:00Z',
    });
    expect(res.json().events[0].normalizationMethod).toBe('heuristic');
    expect(fake.requests.length).toBe(before);
  });

  it('leaves a garbage or out-of-schema answer unprocessed with the reason', async () => {
    fake.mode = 'garbage';
    const garbage = await post(lowConfidence());
    expect(garbage.statusCode).toBe(201);
    expect(garbage.json().rawEvent).toMatchObject({
      status: 'unprocessed',
      error: expect.stringContaining('AI normalizer answer is unusable'),
    });
    fake.mode = 'invalid-schema';
    const invalid = await post(lowConfidence());
    expect(invalid.json().rawEvent).toMatchObject({
      status: 'unprocessed',
      error: expect.stringContaining('does not match the schema: amount'),
    });
  });

  it('marks events unprocessed while the server is down and opens the circuit', async () => {
    fake.mode = 'valid';
    const port = fake.port;
    await fake.stop();
    const notes: string[] = [];
    for (let i = 0; i < 6 && !notes.some((n) => n.includes('circuit open')); i++) {
      const res = await post(lowConfidence());
      expect(res.statusCode).toBe(201);
      expect(res.json().rawEvent.status).toBe('unprocessed');
      notes.push(res.json().rawEvent.error);
    }
    expect(notes[0]).toContain('AI normalizer failed');
    expect(notes.at(-1)).toContain('circuit open');
    // Back up, but the open circuit keeps calls away until its reset timeout.
    await fake.start(port);
    const before = fake.requests.length;
    const res = await post(lowConfidence());
    expect(res.json().rawEvent.error).toContain('circuit open');
    expect(fake.requests.length).toBe(before);
  }, 60_000);
});
