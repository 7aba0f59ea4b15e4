import type { App } from './types.js';

/**
 * Replaces the scope's body parsers with one that keeps every content type as raw bytes: stored
 * payloads are the bytes as sent, and webhook signatures cover exactly those bytes.
 */
export function acceptRawBodies(app: App): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
}
