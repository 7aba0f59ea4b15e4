/** PostgreSQL's unique_violation, as both drivers report it (pg's DatabaseError, and PGlite's errors across its thread). */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}
