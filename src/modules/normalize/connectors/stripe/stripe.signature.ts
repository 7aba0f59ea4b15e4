import {
  headerValue,
  outsideWindow,
  signatureHeaderParts,
  signatureTolerance,
  type VerifyInput,
  type VerifyResult,
} from '../../connector.js';
import { hmacSha256, safeEqual } from '../../../../platform/crypto/hashing.js';

function parseSignatureHeader(header: string): { timestamp: number | null; signatures: string[] } {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const [key, value] of signatureHeaderParts(header)) {
    if (key === 't' && /^\d+$/.test(value)) timestamp = Number(value);
    if (key === 'v1') signatures.push(value);
  }
  return { timestamp, signatures };
}

/**
 * Stripe's scheme: hex HMAC-SHA256 of `t.body`. stripe-node only rejects timestamps older than its
 * tolerance; a timestamp as far in the future is rejected too, since no genuine delivery has one.
 */
export function verifyStripeSignature({ rawBody, headers, secret, settings, now }: VerifyInput): VerifyResult {
  const header = headerValue(headers, 'stripe-signature');
  if (!header) return { ok: false, reason: 'missing Stripe-Signature header' };
  const { timestamp, signatures } = parseSignatureHeader(header);
  if (timestamp === null) return { ok: false, reason: 'Stripe-Signature has no timestamp' };
  if (signatures.length === 0) return { ok: false, reason: 'Stripe-Signature has no v1 signature' };
  const stale = outsideWindow(timestamp * 1000, now, signatureTolerance(settings), 'Stripe-Signature timestamp');
  if (stale) return { ok: false, reason: stale };
  const expected = hmacSha256(secret, Buffer.concat([Buffer.from(`${timestamp}.`), rawBody])).toString('hex');
  return signatures.some((s) => safeEqual(s, expected))
    ? { ok: true }
    : { ok: false, reason: 'no v1 signature matches' };
}
