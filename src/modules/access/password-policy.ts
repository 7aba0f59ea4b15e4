/** Bounds the hashing work one request can ask for, and is far beyond any passphrase. */
export const MAX_PASSWORD_LENGTH = 256;
export const MIN_PASSWORD_LENGTH = 12;

/** The passwords every list of breached passwords starts with, which pass a length rule all the same. */
const COMMON = new Set([
  'password1234',
  'password12345',
  'passwordpassword',
  '123456789012',
  '1234567890123',
  'qwertyuiop123',
  'qwertyuiopasdf',
  'iloveyou1234',
  'letmein12345',
  'administrator',
  'welcome12345',
  'changeme1234',
]);

/**
 * Why a password is refused, or null (NIST SP 800-63B: length over composition rules): at least 12
 * characters, at most 256, at least 5 different characters, not a well-known password, and not
 * containing the account's e-mail name.
 */
export function passwordProblem(password: string, email: string): string | null {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters`;
  if (new Set(password).size < 5) return 'must use at least 5 different characters';
  const lower = password.toLowerCase();
  if (COMMON.has(lower)) return 'is a well-known password';
  const name = email.split('@')[0]?.toLowerCase() ?? '';
  if (name.length >= 3 && lower.includes(name)) return 'must not contain your e-mail name';
  return null;
}
