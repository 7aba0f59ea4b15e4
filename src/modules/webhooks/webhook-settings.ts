/** Setting names that hold credentials (Mercado Pago accessToken, PayPal clientSecret, private keys…). */
const SENSITIVE_NAME = /(secret|token|password|passphrase|private|credential|api_?key|key$|authorization)/i;

/** Stands in for an encrypted value in the readable settings column and in API answers. */
export const REDACTED = '[encrypted]';

export function isSensitiveSetting(name: string): boolean {
  return SENSITIVE_NAME.test(name);
}

/**
 * Splits provider settings into the readable copy (sensitive values replaced by REDACTED, so the
 * API can show which credentials are set without decrypting) and the values that must be encrypted.
 */
export function splitSettings(settings: Record<string, unknown>): {
  readable: Record<string, unknown>;
  sensitive: Record<string, unknown> | null;
} {
  const readable: Record<string, unknown> = {};
  const sensitive: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(settings)) {
    if (isSensitiveSetting(name)) {
      sensitive[name] = value;
      readable[name] = REDACTED;
    } else {
      readable[name] = value;
    }
  }
  return { readable, sensitive: Object.keys(sensitive).length > 0 ? sensitive : null };
}

/** The settings a connector receives: the readable copy with the decrypted values put back. */
export function mergeSettings(
  readable: Record<string, unknown>,
  sensitive: Record<string, unknown> | null,
): Record<string, unknown> {
  return { ...readable, ...(sensitive ?? {}) };
}

/**
 * RFC 7396 on one level: a name set to null is removed, any other value replaces the stored one,
 * except REDACTED, which keeps it: settings read back from the API and sent again keep their
 * credentials rather than become the placeholder.
 */
export function mergePatch(stored: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...stored };
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete merged[name];
    else if (value !== REDACTED) merged[name] = value;
  }
  return merged;
}
