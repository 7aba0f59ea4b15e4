import { Secret, TOTP } from 'otpauth';
import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../../platform/crypto/hashing.js';

const PERIOD = 30;
const RECOVERY_CODES = 10;

/** A fresh RFC 6238 secret (160 bits, base32) and the otpauth:// URL an authenticator app scans. */
export function newTotpSecret(issuer: string, account: string): { secret: string; url: string } {
  const secret = new Secret({ size: 20 });
  const totp = new TOTP({ issuer, label: account, secret, period: PERIOD, digits: 6, algorithm: 'SHA1' });
  return { secret: secret.base32, url: totp.toString() };
}

/**
 * The time step a 6-digit code matches (±1 step for clock drift), or null. A step at or before
 * `lastStep` is refused: a code, once used, cannot be replayed within its window.
 */
export function matchTotp(secret: string, code: string, now: Date, lastStep: number | null): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const totp = new TOTP({ secret: Secret.fromBase32(secret), period: PERIOD, digits: 6, algorithm: 'SHA1' });
  const delta = totp.validate({ token: code, timestamp: now.getTime(), window: 1 });
  if (delta === null) return null;
  const step = TOTP.counter({ period: PERIOD, timestamp: now.getTime() }) + delta;
  return lastStep !== null && step <= lastStep ? null : step;
}

/** Ten single-use recovery codes (`xxxxx-xxxxx`, 50 bits each) and the hashes that are stored. */
export function newRecoveryCodes(): { codes: string[]; hashes: string[] } {
  const codes = Array.from({ length: RECOVERY_CODES }, () => {
    const hex = randomBytes(7).toString('hex').slice(0, 10);
    return `${hex.slice(0, 5)}-${hex.slice(5)}`;
  });
  return { codes, hashes: codes.map(recoveryCodeHash) };
}

export function recoveryCodeHash(code: string): string {
  return sha256Hex(code.trim().toLowerCase());
}
