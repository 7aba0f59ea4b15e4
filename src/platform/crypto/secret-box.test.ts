import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox } from './secret-box.js';

describe('SecretBox (AES-256-GCM)', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips and never repeats a ciphertext', () => {
    const a = box.encrypt('whsec_abc', 'row-1');
    const b = box.encrypt('whsec_abc', 'row-1');
    expect(a).not.toBe(b);
    expect(a).not.toContain('whsec_abc');
    expect(box.decrypt(a, 'row-1')).toBe('whsec_abc');
    expect(box.decrypt(b, 'row-1')).toBe('whsec_abc');
  });

  it('refuses another key, another row, and any altered byte', () => {
    const envelope = box.encrypt('whsec_abc', 'row-1');
    expect(() => new SecretBox(randomBytes(32)).decrypt(envelope, 'row-1')).toThrow();
    expect(() => box.decrypt(envelope, 'row-2')).toThrow();
    const [version, iv, tag, ciphertext] = envelope.split('.') as [string, string, string, string];
    const flipped = Buffer.from(ciphertext, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => box.decrypt([version, iv, tag, flipped.toString('base64url')].join('.'), 'row-1')).toThrow();
    expect(() => box.decrypt('plain-text-secret', 'row-1')).toThrow(/envelope/);
  });

  it('accepts only 32-byte keys (64 hex characters)', () => {
    expect(() => SecretBox.fromHex('ab'.repeat(31))).toThrow();
    expect(() => new SecretBox(randomBytes(16))).toThrow();
    expect(SecretBox.fromHex('AB'.repeat(32)).decrypt(SecretBox.fromHex('ab'.repeat(32)).encrypt('x', 'r'), 'r')).toBe(
      'x',
    );
  });
});
