import { headerValue, type VerifyInput, type VerifyResult } from '../../connector.js';
import { hmacSha256, safeEqual } from '../../../../platform/crypto/hashing.js';

/**
 * Checkout.com signs the raw body only: there is no timestamp or delivery id in the scheme to hold
 * a replay window to. A replay is the same signed body, so the event-id dedupe absorbs it.
 */
export function verifyCheckoutSignature({ rawBody, headers, secret }: VerifyInput): VerifyResult {
  const given = headerValue(headers, 'cko-signature')?.trim().toLowerCase();
  if (!given) return { ok: false, reason: 'missing Cko-Signature header' };
  const expected = hmacSha256(secret, rawBody).toString('hex');
  return safeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'Cko-Signature does not match the body' };
}
