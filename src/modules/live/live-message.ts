/**
 * What the live feed pushes to a tenant's dashboards. `ready` greets a new client; `lagged` tells a
 * slow client how many messages it missed.
 */
export type LiveMessageType = 'event' | 'risk' | 'alert' | 'ready' | 'lagged';

export interface LiveMessage {
  type: LiveMessageType;
  data: unknown;
}

/**
 * Between instances only, never to a client: close the feeds of a key that stopped working, or of a
 * user's session that ended (sign-out, disable, role change); `keyId` is then the session id.
 */
export interface KeyEnded {
  type: 'key_ended';
  keyId: string;
}

/** The envelope that crosses instances: the tenant travels with the message, never to the client. */
export interface LiveEnvelope {
  tenantId: string;
  message: LiveMessage | KeyEnded;
}

export function encodeEnvelope(tenantId: string, message: LiveMessage | KeyEnded): string {
  return JSON.stringify({ tenantId, message } satisfies LiveEnvelope);
}

export function decodeEnvelope(text: string): LiveEnvelope | null {
  try {
    const parsed = JSON.parse(text) as Partial<LiveEnvelope>;
    if (typeof parsed.tenantId !== 'string' || !parsed.message || typeof parsed.message.type !== 'string') return null;
    return { tenantId: parsed.tenantId, message: parsed.message };
  } catch {
    return null;
  }
}
