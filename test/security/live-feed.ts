import WebSocket from 'ws';

export type FeedMessage = { type: string; data: Record<string, unknown> };

export interface Feed {
  socket: WebSocket;
  messages: FeedMessage[];
  /** Resolves with the close code and reason once the server (or anyone) closes the connection. */
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens /ws with the key as a subprotocol (as the dashboard does) and resolves once the server says ready. */
export function openFeed(wsBase: string, apiKey: string): Promise<Feed> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${wsBase}/ws`, ['paylens', apiKey]);
    const messages: FeedMessage[] = [];
    const closed = new Promise<{ code: number; reason: string }>((done) =>
      socket.on('close', (code, reason) => done({ code, reason: reason.toString() })),
    );
    socket.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as FeedMessage;
      messages.push(message);
      if (message.type === 'ready') resolve({ socket, messages, closed });
    });
    socket.on('unexpected-response', (request, response) => {
      request.destroy();
      reject(new Error(`HTTP ${response.statusCode}`));
    });
    socket.on('error', reject);
  });
}

/** The close, or null if the connection is still open after `ms`. */
export function closedWithin(feed: Feed, ms: number): Promise<{ code: number; reason: string } | null> {
  return Promise.race([feed.closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), ms))]);
}
