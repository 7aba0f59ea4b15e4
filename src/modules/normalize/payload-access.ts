/** Small, total accessors for untyped provider payloads: they never throw on a surprising shape. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The connectors' paths are literals, a few hundred: split once, not on every read (an array per read
 * was ~1.5 % of the API's CPU under single-event load). Bounded, as mappings learned at run time may
 * name paths too.
 */
const splitPaths = new Map<string, readonly string[]>();
const MAX_SPLIT_PATHS = 2048;

export function at(value: unknown, path: string): unknown {
  let keys = splitPaths.get(path);
  if (keys === undefined) {
    keys = path.split('.');
    if (splitPaths.size < MAX_SPLIT_PATHS) splitPaths.set(path, keys);
  }
  let current: unknown = value;
  for (const key of keys) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

export function str(value: unknown, path?: string): string | null {
  const v = path === undefined ? value : at(value, path);
  if (typeof v === 'string') return v.length > 0 ? v : null;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

export function int(value: unknown, path?: string): number | null {
  const v = path === undefined ? value : at(value, path);
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) {
    const n = Number(v.trim());
    return Number.isSafeInteger(n) ? n : null;
  }
  return null;
}

export function record(value: unknown, path?: string): Record<string, unknown> | null {
  const v = path === undefined ? value : at(value, path);
  return isRecord(v) ? v : null;
}

export function upper(value: string | null): string | null {
  return value === null ? null : value.toUpperCase();
}

export function emailDomain(email: string | null): string | null {
  if (!email) return null;
  const at = email.lastIndexOf('@');
  return at > 0 && at < email.length - 1 ? email.slice(at + 1).toLowerCase() : null;
}

export function countryCode(value: string | null): string | null {
  return value && /^[A-Za-z]{2}$/.test(value) ? value.toUpperCase() : null;
}

/** A card BIN/IIN (6–8 digits), or null for anything masked or malformed. */
export function cardBin(value: string | null): string | null {
  return value && /^\d{6,8}$/.test(value) ? value : null;
}

export function cardLast4(value: string | null): string | null {
  return value && /^\d{4}$/.test(value) ? value : null;
}

export function unixSecondsToDate(value: number | null): Date | null {
  return value === null ? null : new Date(value * 1000);
}

export function isoToDate(value: string | null): Date | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms);
}

/** Keeps only string values from a provider metadata map (they are free-form and user-controlled). */
export function stringMap(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** The `providerMetadata` entry of an event's metadata, spread in only when the map holds anything. */
export function providerMetadataField(map: Record<string, string>): { providerMetadata?: Record<string, string> } {
  return Object.keys(map).length > 0 ? { providerMetadata: map } : {};
}
