import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS, nextAttemptAt, signPayload } from './alert-webhook.js';

describe('alert webhook signing', () => {
  it('signs "<t>.<body>" with HMAC-SHA256 under the secret', () => {
    const body = '{"type":"alert.opened"}';
    const at = new Date('2026-01-01T00:00:00.900Z');
    const expected = createHmac('sha256', 'whsec_0123456789abcdef').update(`1767225600.${body}`).digest('hex');
    expect(signPayload('whsec_0123456789abcdef', body, at)).toBe(`t=1767225600,v1=${expected}`);
  });

  it('backs off between attempts and stops after the last one', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(nextAttemptAt(1, now)?.toISOString()).toBe('2026-01-01T00:00:30.000Z');
    expect(nextAttemptAt(2, now)?.toISOString()).toBe('2026-01-01T00:02:00.000Z');
    expect(nextAttemptAt(MAX_ATTEMPTS, now)).toBeNull();
  });
});
