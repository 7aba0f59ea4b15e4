import type { FastifyRequest } from 'fastify';

/** `?token=` (the live feed's API key, for clients that cannot send headers) must never reach a log line. */
export function redactedUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]');
}

/** Fastify's request log fields, with the URL's token masked and the client address as trusted (TRUSTED_PROXIES). */
export function requestSerializer(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactedUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
