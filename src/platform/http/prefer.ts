/**
 * Whether a request's `Prefer` header (RFC 7240) asks for `preference`: the header may be repeated
 * and list several preferences, each with parameters after `;` (`respond-async, wait=10`), and
 * preference names are case-insensitive.
 */
export function prefers(header: string | string[] | undefined, preference: string): boolean {
  if (header === undefined) return false;
  const wanted = preference.toLowerCase();
  for (const value of Array.isArray(header) ? header : [header])
    for (const item of value.split(','))
      if (item.split(';', 1)[0]!.split('=', 1)[0]!.trim().toLowerCase() === wanted) return true;
  return false;
}
