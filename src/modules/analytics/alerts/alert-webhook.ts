import { hmacSha256 } from '../../../platform/crypto/hashing.js';
import { OutboundError, type OutboundHttp } from '../../../platform/net/outbound-client.js';

export const SIGNATURE_HEADER = 'Paylens-Signature';

/** Waits after attempt n (1-based) before attempt n + 1; after the last one the delivery has failed. */
const RETRY_DELAYS_MS = [30_000, 120_000, 600_000, 3_600_000, 21_600_000] as const;
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
const TIMEOUT_MS = 10_000;
/** The receiver's answer is not used; a large one is cut off rather than read. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the timestamp lets receivers reject replays. */
export function signPayload(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${hmacSha256(secret, `${t}.${body}`).toString('hex')}`;
}

/** When the next attempt is due after `attempts` attempts, or null when there is none left. */
export function nextAttemptAt(attempts: number, now: Date): Date | null {
  const delay = RETRY_DELAYS_MS[attempts - 1];
  return delay === undefined ? null : new Date(now.getTime() + delay);
}

export interface SendOutcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/**
 * One POST through the outbound client: https and public addresses only unless the operator allows
 * otherwise, redirects not followed (a 3xx counts as a failure, so a receiver cannot bounce us
 * elsewhere). The error recorded is the client's stable reason, never what the receiver sent.
 */
export async function sendWebhook(
  http: OutboundHttp,
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<SendOutcome> {
  const started = performance.now();
  try {
    const response = await http.request(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'user-agent': 'Paylens-Alerts/1', ...headers },
      timeoutMs: TIMEOUT_MS,
      maxResponseBytes: MAX_RESPONSE_BYTES,
    });
    const ok = response.status >= 200 && response.status < 300;
    return {
      ok,
      statusCode: response.status,
      error: ok ? null : `HTTP ${response.status}`,
      durationMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    return {
      ok: false,
      statusCode: null,
      error: error instanceof OutboundError ? error.message : 'unexpected error',
      durationMs: Math.round(performance.now() - started),
    };
  }
}
