import * as crypto from 'node:crypto';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** crypto.hash (Node ≥ 20.12): one call, no Hash object, ~2.5× faster on the small inputs of intake. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string | Buffer, encoding: 'hex') => string }).hash;

export function sha256Hex(input: string | Buffer): string {
  return oneShot ? oneShot('sha256', input, 'hex') : createHash('sha256').update(input).digest('hex');
}

export function hmacSha256(key: string | Buffer, message: string | Buffer): Buffer {
  return createHmac('sha256', key).update(message).digest();
}

export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** Constant-time comparison that tolerates different lengths (which it reveals, as every scheme does). */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const left = typeof a === 'string' ? Buffer.from(a) : a;
  const right = typeof b === 'string' ? Buffer.from(b) : b;
  return left.length === right.length && timingSafeEqual(left, right);
}
