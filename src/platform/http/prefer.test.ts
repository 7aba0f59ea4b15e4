import { describe, expect, it } from 'vitest';
import { prefers } from './prefer.js';

describe('Prefer header (RFC 7240)', () => {
  it('finds a preference among several, with parameters, in any case and in repeated headers', () => {
    expect(prefers('respond-async', 'respond-async')).toBe(true);
    expect(prefers('return=minimal, Respond-Async; x=1, wait=10', 'respond-async')).toBe(true);
    expect(prefers(['wait=5', ' respond-async '], 'respond-async')).toBe(true);
  });

  it('does not match a missing header, another preference, or a name that only contains it', () => {
    expect(prefers(undefined, 'respond-async')).toBe(false);
    expect(prefers('return=minimal', 'respond-async')).toBe(false);
    expect(prefers('respond-asynchronously', 'respond-async')).toBe(false);
    expect(prefers('x=respond-async', 'respond-async')).toBe(false);
  });
});
