import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { currencyExponent, decimalToMinor, rescaleMinor } from './money.js';

describe('money', () => {
  it('knows ISO 4217 exponents', () => {
    expect([
      currencyExponent('JPY'),
      currencyExponent('usd'),
      currencyExponent('KWD'),
      currencyExponent('CLF'),
    ]).toEqual([0, 2, 3, 4]);
  });

  it.each([
    ['10.00', 'USD', 1000],
    ['10.5', 'EUR', 1050],
    ['0.1', 'USD', 10],
    [0.29, 'USD', 29],
    [12.34, 'BRL', 1234],
    ['1500', 'CLP', 1500],
    ['1.234', 'KWD', 1234],
    ['1.005', 'USD', 101],
    ['-3.20', 'USD', -320],
  ] as const)('%s %s is %i minor units', (value, currency, expected) => {
    expect(decimalToMinor(value, currency)).toBe(expected);
  });

  it('refuses what is not a plain decimal', () => {
    for (const bad of ['', 'abc', '1,000.00', '1e5x', '.']) expect(decimalToMinor(bad, 'USD')).toBeNull();
  });

  it('decimal strings round-trip exactly for every cent amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), (cents) => {
        const text = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
        expect(decimalToMinor(text, 'USD')).toBe(cents);
      }),
    );
  });

  it('rescales between exponents', () => {
    expect(rescaleMinor(10000, 2, 0)).toBe(100);
    expect(rescaleMinor(5, 0, 2)).toBe(500);
  });
});
