import websocket from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Container } from '../../container.js';
import { AppError } from '../../platform/errors/app-error.js';
import type { App } from '../../platform/http/types.js';
import { bearerToken } from '../tenancy/auth.plugin.js';
import type { LiveMessage } from './live-message.js';

/**
 * Browsers cannot set headers on a WebSocket, so the key also travels as `?token=` or as one of the
 * offered subprotocols (`new WebSocket(url, ['paylens', key])`; the server selects `paylens`).
 */
export function liveToken(request: FastifyRequest): string | null {
  const query = request.query as { token?: unknown } | undefined;
  if (typeof query?.token === 'string' && query.token.length > 0) return query.token;
  const offered = request.headers['sec-websocket-protocol'];
  if (typeof offered === 'string') {
    const key = offered.split(',').map((p) => p.trim()).find((p) => p.startsWith('pl_'));
    if (key) return key;
  }
  return bearerToken(request);
}

const HEARTBEAT_MS = 30_000;

export async function liveRoutes(app: App, container: Container): Promise<void> {
  await app.register(websocket, {
    options: {
      maxPayload: 4096,
      // Never echo the key back as the chosen subprotocol.
      handleProtocols: (protocols) => (protocols.has('paylens') ? 'paylens' : false),
    },
  });
  // Start serving only once this instance receives the fan-out channel.
  await container.live.ready();

  // A peer that vanished without closing (sleeping laptop, dropped network) would otherwise hold its
  // subscription until TCP gives up: ping every socket, terminate those that missed the last ping.
  const awaitingPong = new WeakSet<object>();
  const heartbeat = setInterval(() => {
    for (const socket of app.websocketServer.clients) {
      if (awaitingPong.has(socket)) {
        socket.terminate();
        continue;
      }
      awaitingPong.add(socket);
      socket.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  app.addHook('onClose', async () => clearInterval(heartbeat));

  app.get(
    '/ws',
    {
      websocket: true,
      schema: {
        summary: 'Live feed (WebSocket)',
        description:
          "Upgrade to a WebSocket that pushes `{type: 'event'|'risk'|'alert', data}` for the key's tenant only. Authenticate with `?token=pl_…`, the subprotocols `paylens, pl_…`, or `Authorization: Bearer`. A slow client's messages are dropped beyond a bounded buffer and it then receives `{type:'lagged', data:{dropped}}`.",
        tags: ['live'],
        querystring: z.object({ token: z.string().max(200).optional() }),
      },
      onRequest: async (request) => {
        const token = liveToken(request);
        if (!token) throw new AppError('unauthorized', 'Pass the API key as ?token=pl_… or as a WebSocket subprotocol');
        const principal = await container.apiKeys.authenticate(token);
        if (!principal) throw new AppError('unauthorized', 'The API key is invalid, expired or revoked');
        request.principal = principal;
      },
    },
    (socket, request) => {
      const tenantId = request.principal?.tenantId;
      if (!tenantId) {
        socket.close(1008, 'unauthorized');
        return;
      }
      socket.on('pong', () => awaitingPong.delete(socket));
      const detach = container.live.subscribe(tenantId, socket);
      socket.on('close', detach);
      socket.on('error', detach);
      socket.send(JSON.stringify({ type: 'ready', data: { tenantId } } satisfies LiveMessage));
    },
  );
}
