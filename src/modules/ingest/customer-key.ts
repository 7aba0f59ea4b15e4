import { createHmac } from 'node:crypto';

/**
 * A customer key links a customer's payments across providers without storing who they are:
 * HMAC-SHA256 under a per-installation salt of the normalised email or customer id.
 */
export function createCustomerKeyHasher(salt: string): (kind: 'email' | 'id', value: string) => string {
  return (kind, value) => {
    const normalised = kind === 'email' ? value.trim().toLowerCase() : value.trim();
    return `ck_${createHmac('sha256', salt).update(`${kind}:${normalised}`).digest('hex').slice(0, 32)}`;
  };
}
