import {
  headerValue,
  MAX_DELIVERY_ID_LENGTH,
  outsideWindow,
  signatureHeaderParts,
  signatureTolerance,
  type VerifyInput,
  type VerifyResult,
} from '../../connector.js';
import { at, isRecord, str } from '../../payload-access.js';
import { hmacSha256, safeEqual } from '../../../../platform/crypto/hashing.js';

/** The webhook notification: `{id, type, action, data: {id}, …}`, a reference without amount or status. */
export function isNotification(payload: unknown): payload is Record<string, unknown> {
  return (
    isRecord(payload) &&
    str(payload, 'data.id') !== null &&
    typeof payload.type === 'string' &&
    (typeof payload.action === 'string' || typeof payload.date_created === 'string')
  );
}

/** The `x-signature` manifest (`id:…;request-id:…;ts:…;`, absent parts dropped) of Mercado Pago's webhook doc. */
export function mercadoPagoManifest(dataId: string | null, requestId: string | null, ts: string): string {
  // The doc asks for alphanumeric ids in lower case; numeric payment ids are unaffected.
  const id = dataId && /^[a-z0-9]+$/i.test(dataId) ? dataId.toLowerCase() : dataId;
  return `${id ? `id:${id};` : ''}${requestId ? `request-id:${requestId};` : ''}ts:${ts};`;
}

/**
 * `ts` of x-signature as epoch milliseconds. Mercado Pago's doc calls it milliseconds (deliveries
 * carry 13 digits) while an older example shows 10-digit seconds: a value below 10^11 would be a
 * date in 1973 as milliseconds, so it is read as seconds.
 */
export function mercadoPagoTsMillis(ts: string): number {
  if (!/^\d{1,16}$/.test(ts)) return Number.NaN;
  const value = Number(ts);
  return value < 1e11 ? value * 1000 : value;
}

/**
 * Verifies `x-signature` (ts + hex HMAC-SHA256 of the manifest with the endpoint secret). The
 * signature covers only data.id, x-request-id and ts, so a valid one says nothing about the body:
 * the body must be the notification for the signed data.id (the payment is then fetched by that id),
 * ts must be within the endpoint's tolerance, and x-request-id is remembered so the same signature
 * is processed once.
 */
export function verifyMercadoPagoSignature({
  headers,
  query,
  secret,
  settings,
  rawBody,
  now,
}: VerifyInput): VerifyResult {
  const signature = headerValue(headers, 'x-signature');
  if (!signature) return { ok: false, reason: 'missing x-signature header' };
  let ts: string | null = null;
  let v1: string | null = null;
  for (const [key, value] of signatureHeaderParts(signature)) {
    if (key === 'ts') ts = value;
    if (key === 'v1') v1 = value.toLowerCase();
  }
  if (!ts || !v1) return { ok: false, reason: 'x-signature lacks ts or v1' };
  const dataId = query['data.id'] ?? null;
  const requestId = headerValue(headers, 'x-request-id');
  // Without them the signature would name no payment or could not be told from its replays.
  if (!dataId) return { ok: false, reason: 'missing data.id query parameter' };
  if (!requestId || requestId.length > MAX_DELIVERY_ID_LENGTH)
    return { ok: false, reason: 'missing or overlong x-request-id header' };
  const expected = hmacSha256(secret, mercadoPagoManifest(dataId, requestId, ts)).toString('hex');
  if (!safeEqual(v1, expected)) return { ok: false, reason: 'x-signature v1 does not match' };
  const tolerance = signatureTolerance(settings);
  const signedAt = mercadoPagoTsMillis(ts);
  const stale = outsideWindow(signedAt, now, tolerance, 'x-signature ts');
  if (stale) return { ok: false, reason: stale };
  if (!namesPayment(rawBody, dataId))
    return { ok: false, reason: 'the body is not the notification for the signed data.id' };
  return { ok: true, delivery: { id: requestId, freshUntil: new Date(signedAt + tolerance * 1000) } };
}

function namesPayment(rawBody: Buffer, dataId: string): boolean {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return false;
  }
  if (!isNotification(body)) return false;
  const bodyId = at(body, 'data.id');
  // A JSON number past 2^53 (chargeback ids) parsed to the nearest double: the signed id must parse to the same one.
  if (typeof bodyId === 'number' && !Number.isSafeInteger(bodyId)) return Number(dataId) === bodyId;
  return str(body, 'data.id')?.toLowerCase() === dataId.toLowerCase();
}
