import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpuMs } from '../../../test/harness/cpu-time.js';
import { redactRecord } from './card-data.js';
import { maskPans, passesLuhn } from './pan-mask.js';

function withLuhnDigit(prefix: string): string {
  for (let d = 0; d <= 9; d++) if (passesLuhn(prefix + d)) return prefix + d;
  throw new Error('unreachable');
}

const masked = (pan: string) => `${pan.slice(0, 6)}${'*'.repeat(pan.length - 10)}${pan.slice(-4)}`;

/** The spellings a PAN may arrive in, digit by digit. */
const spell = {
  plain: (d: string) => d,
  json: (d: string) => `\\u00${d.charCodeAt(0).toString(16)}`,
  decimal: (d: string) => `&#${d.charCodeAt(0)};`,
  hex: (d: string) => `&#x${d.charCodeAt(0).toString(16).toUpperCase()};`,
};

describe('PAN masking', () => {
  it.each([
    '4111111111111111',
    '5555555555554444',
    '378282246310005',
    '6011111111111117',
    '4000056655665556',
    '3530111333300000',
    '135412345678911',
    '1234567890123452',
    '9999999999992',
    '800000000003',
    '912345678901234560',
    '7071234567890128',
  ])('masks %s', (pan) => {
    expect(passesLuhn(pan)).toBe(true);
    const { text, masked: count } = maskPans(`card=${pan};`);
    expect(count).toBe(1);
    expect(text).toBe(`card=${masked(pan)};`);
  });

  it('masks numbers grouped by spaces, dashes or dots, and keeps what is not a card', () => {
    expect(maskPans('4111 1111 1111 1111').text).toBe('411111******1111');
    expect(maskPans('4111-1111-1111-1111').text).toBe('411111******1111');
    expect(maskPans('4111.1111.1111.1111').text).toBe('411111******1111');
    expect(maskPans('3782 822463 10005').text).toBe('378282*****0005');
    // A PAN inside a longer grouped run still takes the run with it.
    expect(maskPans('ref 12 4111 1111 1111 1111 34.').text).toBe('ref 124111**********1134.');
    // Millisecond timestamps, dotted IPv4 addresses, mixed separators and Luhn failures are not cards.
    expect(maskPans('1732445000123').masked).toBe(0);
    expect(maskPans('1732445000124').masked).toBe(0);
    expect(maskPans('192.168.100.200').masked).toBe(0);
    expect(maskPans('4111 1111-1111 1111').masked).toBe(0);
    expect(maskPans('4111111111111112').masked).toBe(0);
    // Nor is a number starting with 0 (zero-padded ids; sixteen zeros pass Luhn), or one longer than 19 digits in one piece.
    expect(maskPans('src_0000000000000000 ord_0000000000000042 0123456789012345671').masked).toBe(0);
    expect(maskPans('41111111111111111111').masked).toBe(0);
  });

  it('reads digits spelled as JSON escapes and character references', () => {
    expect(maskPans('"\\u0034\\u00311111111111111\\u0031"').text).toBe('"411111******1111"');
    expect(maskPans('<n>&#52;&#x31;&#X31;&#0049; 1111 1111 1111</n>').text).toBe('<n>411111******1111</n>');
    // An escaped backslash before the escape goes with it, so the JSON string stays valid.
    expect(maskPans('"a\\\\\\u0034111111111111111"').text).toBe('"a411111******1111"');
    expect(maskPans('&#52&#49; 1111 1111 1111').masked).toBe(0);
  });

  it('no Luhn-valid PAN of 12–19 digits survives, whatever its first digit, separators or spelling', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[1-9][0-9]{10,17}$/),
        fc.constantFrom('', ' ', '-', '.'),
        fc.constantFrom(...(Object.keys(spell) as (keyof typeof spell)[])),
        fc.string(),
        fc.string(),
        (body, separator, spelling, before, after) => {
          const pan = withLuhnDigit(body);
          fc.pre(!(pan.length === 13 && pan.startsWith('1')));
          const groups = pan.match(/.{1,4}/g)!;
          const written = groups.map((g) => [...g].map(spell[spelling]).join('')).join(separator);
          const text = `${before.replace(/[\d\\&]/g, '')} ${written} ${after.replace(/[\d\\&]/g, '')}`;
          const out = maskPans(text).text;
          expect(out.replace(/[ .-]/g, '')).not.toContain(pan);
          expect(out).toContain(masked(pan));
        },
      ),
    );
  });

  it('takes linear time on runs built to make it search', () => {
    const time = (text: string) => cpuMs(() => maskPans(text));
    for (const unit of ['1 ', '1-1 ', '\\', '\\u0031 ', '&#49;-', '&#', '4111111111111111 ', '1']) {
      const small = time(unit.repeat(Math.ceil(100_000 / unit.length)));
      const large = time(unit.repeat(Math.ceil(1_000_000 / unit.length)));
      expect(large / Math.max(small, 2), JSON.stringify(unit)).toBeLessThan(25);
    }
  });
});

describe('card data in a parsed record', () => {
  it('masks PANs in values and keys, a PAN sent as a number becoming a masked string', () => {
    const clean = { id: 'evt_1', amount: 1200, tags: ['a'] };
    const input = {
      clean,
      card: { number: '4111111111111111' },
      list: ['x', 4111111111111111],
      byPan: { '5555555555554444': true },
    };
    const value = redactRecord(input) as typeof input;
    expect(value).toEqual({
      clean,
      card: { number: '411111******1111' },
      list: ['x', '411111******1111'],
      byPan: { '555555******4444': true },
    });
    expect(value.clean).toBe(clean);
    expect(input.card.number).toBe('4111111111111111');
    expect(redactRecord(clean)).toBe(clean);
  });

  it('removes security codes by name and track data by shape', () => {
    const value = redactRecord({
      card: {
        cvv: '123',
        CVC2: 456,
        card_security_code: '7890',
        cid: '1234',
        customer_cid: 'cus_77',
        cvc_check: 'pass',
        cvvResult: 'M',
      },
      securityCode: { value: '321' },
      note: 'swiped ;4111111111111111=25121010000000000000?',
      track1: 'anything',
      raw: '%B4111111111111111^DOE/JANE^2512101000000000?',
    });
    expect(value).toEqual({
      card: {
        cvv: '[redacted]',
        CVC2: '[redacted]',
        card_security_code: '[redacted]',
        cid: '[redacted]',
        customer_cid: 'cus_77',
        cvc_check: 'pass',
        cvvResult: 'M',
      },
      securityCode: { value: '[redacted]' },
      note: '[redacted]',
      track1: '[redacted]',
      raw: '[redacted]',
    });
  });
});
