import type { VerifyInput, VerifyResult } from '../../connector.js';
import { int, isRecord, record, str } from '../../payload-access.js';
import { hmacSha256, safeEqual } from '../../../../platform/crypto/hashing.js';

type Item = Record<string, unknown>;

/** The NotificationRequestItems of a delivery, each signed on its own; anything else in the array is skipped. */
export function adyenItems(payload: unknown): Item[] {
  const list = isRecord(payload) ? payload.notificationItems : undefined;
  if (!Array.isArray(list)) return [];
  return list.map((entry) => record(entry, 'NotificationRequestItem')).filter((item): item is Item => item !== null);
}

/** The 8 fields of a Standard webhook item in Adyen's order, missing → '' (docs: HMAC signature calculation). */
export function adyenSigningString(item: Item): string {
  const value = int(item, 'amount.value');
  const success = item.success;
  return [
    str(item, 'pspReference') ?? '',
    str(item, 'originalReference') ?? '',
    str(item, 'merchantAccountCode') ?? '',
    str(item, 'merchantReference') ?? '',
    value === null ? '' : String(value),
    str(item, 'amount.currency') ?? '',
    str(item, 'eventCode') ?? '',
    typeof success === 'boolean' ? String(success) : (str(item, 'success') ?? ''),
  ].join(':');
}

/** Adyen's scheme: every item carries a base64 HMAC-SHA256 of its signing string, keyed with the hex HMAC key. */
export function verifyAdyenSignature({ rawBody, secret }: VerifyInput): VerifyResult {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(secret)) return { ok: false, reason: 'the Adyen HMAC key must be a hex string' };
  let payload: unknown;
  try {
    payload = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  const items = adyenItems(payload);
  if (items.length === 0) return { ok: false, reason: 'no NotificationRequestItem to verify' };
  for (const [index, item] of items.entries()) {
    const given = str(item, 'additionalData.hmacSignature');
    if (!given) return { ok: false, reason: `item ${index} has no additionalData.hmacSignature` };
    const expected = hmacSha256(Buffer.from(secret, 'hex'), adyenSigningString(item));
    if (!safeEqual(Buffer.from(given, 'base64'), expected))
      return { ok: false, reason: `item ${index} hmacSignature does not match` };
  }
  return { ok: true };
}
