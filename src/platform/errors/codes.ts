/** The one registry of problem codes: every error the API returns has a stable code listed here. */
export const errorCodes = {
  invalid_json: { status: 400, title: 'The body is not valid JSON' },
  invalid_body: { status: 400, title: 'The body could not be parsed' },
  reserved_key: { status: 400, title: 'The body uses a reserved name as a key' },
  unknown_provider: { status: 400, title: 'Unknown payment provider' },
  bad_request: { status: 400, title: 'Bad request' },
  unauthorized: { status: 401, title: 'Missing or invalid credentials' },
  invalid_signature: { status: 401, title: 'Webhook signature verification failed' },
  forbidden: { status: 403, title: 'Not allowed' },
  insufficient_scope: { status: 403, title: 'The API key lacks the scope this route needs' },
  csrf_rejected: { status: 403, title: 'A cookie-authenticated request without its CSRF token or from another origin' },
  totp_required: { status: 401, title: 'This account needs its second factor (a TOTP or recovery code)' },
  not_found: { status: 404, title: 'Resource not found' },
  conflict: { status: 409, title: 'Conflict with the current state' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  batch_too_large: { status: 413, title: 'Too many events in one batch' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  validation_failed: { status: 422, title: 'Validation failed' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal server error' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCodes;

export function problemType(code: ErrorCode): string {
  return `https://paylens.dev/problems/${code.replaceAll('_', '-')}`;
}
