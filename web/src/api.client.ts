export const UNAUTHORIZED_EVENT = 'paylens:unauthorized';

/**
 * The session's CSRF token (from sign-in or GET /v1/me), sent with every write: the session cookie
 * rides along by itself, and the server refuses a cookie-authenticated write without the token.
 * Held in memory only; nothing of the session is kept in web storage.
 */
let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
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

const SAFE_METHODS = new Set(['GET', 'HEAD']);

export async function api<T>(
  path: string,
  init: {
    method?: string;
    body?: unknown;
    /** A 401 is the answer itself (sign-in, GET /v1/me), not a session that ended. */
    signingIn?: boolean;
  } = {},
): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (!SAFE_METHODS.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached', false);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const body = text ? (safeJson(text) as Record<string, unknown> | null) : null;
  if (res.status === 401 && !init.signingIn) {
    // The session ended (signed out elsewhere, timed out, disabled, role changed): back to the sign-in screen.
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
