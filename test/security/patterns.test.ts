import { describe, expect, it } from 'vitest';
import { adyenReasonKey } from '../../src/modules/normalize/connectors/adyen/adyen.codes.js';
import { withoutTrailingSlashes } from '../../src/platform/net/outbound-client.js';
import { cpuMs } from '../harness/cpu-time.js';

describe('provider text read in linear time', () => {
  it('an Adyen reason of a long run of periods', () => {
    const reason = (n: number) => `Refused${'.'.repeat(n)}x`;
    expect(adyenReasonKey(' Not enough balance... ')).toBe('not enough balance');
    expect(adyenReasonKey(reason(3))).toBe('refused...x');
    const small = cpuMs(() => adyenReasonKey(reason(40_000)));
    const large = cpuMs(() => adyenReasonKey(reason(400_000)));
    expect(large / Math.max(small, 2)).toBeLessThan(25);
  });
});

describe('tenant settings read in linear time', () => {
  it('a saved base URL ending in a long run of slashes', () => {
    const url = (n: number) => `https://api.example.com${'/'.repeat(n)}x${'/'.repeat(n)}`;
    expect(withoutTrailingSlashes('https://api.mercadopago.com///')).toBe('https://api.mercadopago.com');
    expect(withoutTrailingSlashes('https://api.example.com/v1')).toBe('https://api.example.com/v1');
    const small = cpuMs(() => withoutTrailingSlashes(url(40_000)));
    const large = cpuMs(() => withoutTrailingSlashes(url(400_000)));
    expect(large / Math.max(small, 2)).toBeLessThan(25);
  });
});
