import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskPans, maskPansDeep, passesLuhn } from '../../src/modules/ingest/pan-mask.js';

function withLuhnDigit(prefix: string): string {
  for (let d = 0; d <= 9; d++) if (passesLuhn(prefix + d)) return prefix + d;
  throw new Error('unreachable');
}

describe('PAN masking', () => {
  it.each(['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117', '4000056655665556', '3530111333300000'])('masks %s', (pan) => {
    const { text, masked } = maskPans(`card=${pan};`);
    expect(masked).toBe(1);
    expect(text).toBe(`card=${pan.slice(0, 6)}${'*'.repeat(pan.length - 10)}${pan.slice(-4)};`);
  });

  it('masks grouped numbers and keeps non-card numbers', () => {
    expect(maskPans('4111 1111 1111 1111').text).toBe('411111******1111');
    expect(maskPans('4111-1111-1111-1111').text).toBe('411111******1111');
    // Millisecond timestamps and Adyen-style references are not cards.
    expect(maskPans('1732445000123').masked).toBe(0);
    expect(maskPans('8815329842815468').masked).toBe(0);
    // A Luhn-failing 16-digit number stays.
    expect(maskPans('4111111111111112').masked).toBe(0);
  });

  it('no generated Luhn-valid PAN survives masking, in text or inside JSON', () => {
    fc.assert(
      fc.property(fc.constantFrom('4', '51', '37', '6011', '35'), fc.integer({ min: 13, max: 19 }), fc.string(), fc.string(), (start, length, before, after) => {
        const digits = withLuhnDigit(start + '7'.repeat(length - start.length - 1));
        const text = `${before.replace(/\d/g, '')} ${digits} ${after.replace(/\d/g, '')}`;
        expect(maskPans(text).text).not.toContain(digits);
        const deep = maskPansDeep({ nested: [{ pan: digits }], asNumber: length <= 15 ? Number(digits) : digits });
        expect(JSON.stringify(deep.value)).not.toContain(digits);
      }),
    );
  });

  it('leaves the input untouched and copies only the branches that held a PAN', () => {
    const clean = { id: 'evt_1', amount: 1200, tags: ['a'] };
    const input = { clean, card: { number: '4111111111111111' }, list: ['x', 4111111111111111] };
    const { value, masked } = maskPansDeep(input);
    expect(masked).toBe(2);
    expect(value).toEqual({ clean, card: { number: '411111******1111' }, list: ['x', '411111******1111'] });
    expect((value as typeof input).clean).toBe(clean);
    expect(input.card.number).toBe('4111111111111111');
    expect(maskPansDeep(clean).value).toBe(clean);
  });
});
