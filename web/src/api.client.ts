const KEY_STORAGE = 'paylens.apiKey';
export const UNAUTHORIZED_EVENT = 'paylens:unauthorized';

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function storeKey(key: string | null): void {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

/** A failed call, with the server's problem+json when there was one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The route does not exist on this server (a feature not deployed yet). */
    readonly unavailable: boolean,
  ) {
    super(message);
  }
}

/** Any caught value as an ApiError, so every view renders failures the same way. */
export function asApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, 'error', String(error), false);
}

type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown; key?: string } = {}): Promise<T> {
  const key = init.key ?? storedKey();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? 'GET',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached', false);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const body = text ? (safeJson(text) as Record<string, unknown> | null) : null;
  if (res.status === 401 && init.key === undefined) {
    // The stored key was revoked or expired: back to the sign-in screen.
    window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
  }
  if (!res.ok) {
    const detail =
      typeof body?.detail === 'string' ? body.detail : typeof body?.title === 'string' ? body.title : res.statusText;
    const unavailable = res.status === 404 && (detail.startsWith('No route for') || body === null);
    throw new ApiError(res.status, typeof body?.code === 'string' ? body.code : 'error', detail, unavailable);
  }
  return body as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
