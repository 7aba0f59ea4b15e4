import { describe, expect, it } from 'vitest';
import { cpuMs } from '../../../../test/harness/cpu-time.js';
import type { NormalizeContext } from '../connector.js';
import { guessEvent, HeuristicNormalizer } from './heuristic.normalizer.js';
import {
  currencyIn,
  isEmail,
  masked,
  moneyToMinor,
  plainDecimal,
  reasonOf,
  statusOf,
  timeOf,
} from './heuristic.values.js';

const ctx: NormalizeContext = {
  customerKey: (kind, value) => `ck_${kind}_${value.length}`,
  now: new Date('2026-11-24T12:00:00Z'),
};

describe('heuristic values', () => {
  it.each([
    ['1.234,56', '1234.56'],
    ['1,234.56', '1234.56'],
    ['12,5', '12.5'],
    ['1 234,56', '1234.56'],
    ['R$ 1.234,56', '1234.56'],
    ['12.50 USD', '12.50'],
    ['-5,00', '-5.00'],
    ['1.234.567', '1234567'],
    ['order 12', null],
    ['12,34,56', null],
    ['1e5', null],
  ])('reads the decimal %s as %s', (text, expected) => {
    expect(plainDecimal(text)).toBe(expected);
  });

  it('recognises ISO codes and symbols, marking ambiguous symbols as less certain', () => {
    expect(currencyIn('brl')).toEqual({ currency: 'BRL', certainty: 1 });
    expect(currencyIn('R$ 10')).toEqual({ currency: 'BRL', certainty: 1 });
    expect(currencyIn('€3')).toEqual({ currency: 'EUR', certainty: 1 });
    expect(currencyIn('£')).toEqual({ currency: 'GBP', certainty: 1 });
    expect(currencyIn('$5')).toEqual({ currency: 'USD', certainty: 0.5 });
    expect(currencyIn('XYZ')).toBeNull();
  });

  it.each([
    ['Aprobado', 'approved'],
    ['APROVADA', 'approved'],
    ['rechazado', 'declined'],
    ['Recusado', 'declined'],
    ['pendiente', 'pending'],
    ['Pendente', 'pending'],
    ['reembolsado', 'refunded'],
    ['estornado', 'refunded'],
    ['cancelado', 'canceled'],
    ['in process', 'pending'],
    ['bogus', null],
  ])('maps the status word %s to %s', (word, status) => {
    expect(statusOf(word)).toBe(status);
  });

  it('reads ISO times, unix seconds and milliseconds, and day-first dates', () => {
    expect(timeOf('2026-11-24T10:00:00+01:00')?.toISOString()).toBe('2026-11-24T09:00:00.000Z');
    expect(timeOf(1732445000)?.toISOString()).toBe('2024-11-24T10:43:20.000Z');
    expect(timeOf('1732445000123')?.toISOString()).toBe('2024-11-24T10:43:20.123Z');
    expect(timeOf('05/03/2026')?.toISOString()).toBe('2026-03-05T00:00:00.000Z');
    expect(timeOf('31/02/2026')).toBeNull();
    expect(timeOf(42)).toBeNull();
  });

  it('recognises e-mail addresses, and nothing longer than one can be', () => {
    for (const email of ['a@b.co', 'Lena.Vogt+x@post.example.de']) expect(isEmail(` ${email} `)).toBe(true);
    for (const text of ['a@b', 'a@@b.co', 'a b@c.co', 'a@b..co', 'a@.b.co', '@b.co', `${'a'.repeat(250)}@b.co`])
      expect(isEmail(text)).toBe(false);
  });

  it('reads hostile strings in time linear in their length', () => {
    const readers: Record<string, (text: string) => unknown> = {
      isEmail,
      currencyIn,
      plainDecimal,
      moneyToMinor: (t) => moneyToMinor(t, 'EUR'),
      timeOf,
      masked,
      reasonOf,
      statusOf,
    };
    const hostile = [
      (n: number) => `a@${'.'.repeat(n)}@`,
      (n: number) => `a@${'a.'.repeat(n / 2)} `,
      (n: number) => `1${'.111'.repeat(n / 4)}x`,
      (n: number) => `123456${'*'.repeat(n)}x`,
      (n: number) => `USD ${' '.repeat(n)}1`,
    ];
    for (const [name, read] of Object.entries(readers)) {
      for (const make of hostile) {
        const small = cpuMs(() => read(make(20_000)));
        const large = cpuMs(() => read(make(200_000)));
        expect(large / Math.max(small, 2), `${name}(${make(8)})`).toBeLessThan(25);
      }
    }
    const note = (n: number) => ({
      amount: '12.50',
      currency: 'EUR',
      status: 'paid',
      note: `a@${'.'.repeat(n)}@`,
      email: `b@${'b.'.repeat(n / 2)}@`,
    });
    const small = cpuMs(() => guessEvent(note(20_000), ctx));
    const large = cpuMs(() => guessEvent(note(200_000), ctx));
    expect(large / Math.max(small, 2)).toBeLessThan(25);
  });
});

describe('guessEvent', () => {
  it('finds nested fields in English and scores them high', () => {
    const guess = guessEvent(
      {
        transaction: {
          id: 'tx_1',
          amount: '49.90',
          currency: 'USD',
          status: 'succeeded',
          created_at: '2026-11-24T10:00:00Z',
        },
        customer: { email: 'Ann@Shop.Example' },
        card: { last4: '4242', bin: '424242', brand: 'Visa' },
      },
      ctx,
    );
    expect(guess.draft).toMatchObject({
      providerPaymentId: 'tx_1',
      amountMinor: 4990,
      currency: 'USD',
      status: 'approved',
      type: 'sale',
      emailDomain: 'shop.example',
      card: { last4: '4242', bin: '424242', brand: 'visa' },
      normalizationMethod: 'heuristic',
    });
    expect(guess.draft?.customerKey).toBe('ck_email_16');
    expect(guess.confidence).toBe(1);
    expect(guess.draft?.metadata).toMatchObject({
      heuristic: { fields: { amount: 'transaction.amount', currency: 'transaction.currency' } },
    });
  });

  it('reads Spanish field names, a decimal comma, a refund and a day-first date', () => {
    const guess = guessEvent(
      { id_transaccion: 'A-9', importe: '1.500,5', moneda: 'MXN', estado: 'Reembolsado', fecha: '01/12/2026 08:30' },
      ctx,
    );
    expect(guess.draft).toMatchObject({
      amountMinor: 150050,
      currency: 'MXN',
      status: 'refunded',
      type: 'refund',
      occurredAt: new Date('2026-12-01T08:30:00Z'),
    });
  });

  it('takes minor units from cent-named keys and respects the currency exponent', () => {
    expect(guessEvent({ amount_cents: 1234, currency: 'EUR', status: 'paid' }, ctx).draft?.amountMinor).toBe(1234);
    expect(guessEvent({ total: '1500', currency: 'JPY', status: 'paid' }, ctx).draft?.amountMinor).toBe(1500);
    expect(guessEvent({ amount: '1.5', currency: 'KWD', status: 'paid' }, ctx).draft?.amountMinor).toBe(1500);
  });

  it('takes the currency from the amount text and lowers confidence for an ambiguous symbol', () => {
    const euro = guessEvent({ valor: '€ 20,00', status: 'approved', id: 'e1' }, ctx);
    const dollar = guessEvent({ valor: '$20.00', status: 'approved', id: 'd1' }, ctx);
    expect(euro.draft).toMatchObject({ currency: 'EUR', amountMinor: 2000 });
    expect(dollar.draft).toMatchObject({ currency: 'USD', amountMinor: 2000 });
    expect(dollar.confidence).toBeLessThan(euro.confidence);
  });

  it('maps decline text to standard reasons and keeps the provider code verbatim', () => {
    const guess = guessEvent(
      { amount: 10, currency: 'USD', status: 'declined', decline_code: 'card_expired', message: 'Card expired' },
      ctx,
    );
    expect(guess.draft).toMatchObject({
      status: 'declined',
      failureReason: 'expired_card',
      providerCode: 'card_expired',
      providerMessage: 'Card expired',
    });
  });

  it('produces no draft without an amount or currency, and says what is missing', () => {
    const guess = guessEvent({ hello: 'world', status: 'approved' }, ctx);
    expect(guess.draft).toBeNull();
    expect(guess.missing).toEqual(expect.arrayContaining(['amount', 'currency']));
    expect(guess.confidence).toBeLessThan(0.6);
  });
});

describe('HeuristicNormalizer', () => {
  it('normalizes above the threshold and leaves the rest unprocessed with the reason', async () => {
    const normalizer = new HeuristicNormalizer(0.6);
    const good = await normalizer.normalize({ amount: '5.00', currency: 'GBP', status: 'paid', id: 'p1' }, ctx);
    expect(good.status).toBe('normalized');
    const weak = await normalizer.normalize({ amount: '5.00', currency: 'GBP' }, ctx);
    expect(weak).toMatchObject({
      status: 'unprocessed',
      note: expect.stringMatching(/confidence 0\.50 is below 0\.6 \(not found: status, id, time\)/),
    });
  });

  it('escalates low-confidence payloads to the next normalizer and keeps both reasons on failure', async () => {
    const escalated = new HeuristicNormalizer(0.6, {
      normalize: () => ({ status: 'unprocessed', events: [], note: 'AI normalizer failed: down' }),
    });
    expect(await escalated.normalize({ foo: 1 }, ctx)).toMatchObject({
      status: 'unprocessed',
      note: expect.stringMatching(/below 0\.6.*; AI normalizer failed: down/),
    });
  });
});
