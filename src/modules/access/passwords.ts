import { hash, verify } from '@node-rs/argon2';

/** The library's Algorithm.Argon2id: its const enum cannot be imported under verbatimModuleSyntax. */
const ARGON2ID = 2;

/** Argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane). */
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

let decoy: Promise<string> | null = null;

/**
 * Verifies a password against its hash; with no hash (no such user, or one without a password) it
 * verifies against a decoy, so an unknown address takes as long to refuse as a wrong password.
 */
export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  if (stored === null) {
    decoy ??= hashPassword('decoy password never matched');
    await verify(await decoy, password);
    return false;
  }
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}
