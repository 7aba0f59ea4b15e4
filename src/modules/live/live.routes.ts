import fastifyStatic from '@fastify/static';
import websocket from '@fastify/websocket';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../platform/errors/app-error.js';
import { bearerToken } from '../../platform/http/bearer.js';
import type { App } from '../../platform/http/types.js';
import { authorize } from '../tenancy/index.js';
import { scopeNote } from '../tenancy/index.js';
import type { LiveHub } from './live-hub.js';
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
    const key = offered
      .split(',')
      .map((p) => p.trim())
      .find((p) => p.startsWith('pl_'));
    if (key) return key;
  }
  return bearerToken(request);
}

const HEARTBEAT_MS = 30_000;

/**
 * The WebSocket plugin, registered on the root instance before any other hook: its hooks then see
 * every upgrade request, so one refused anywhere (a limit, an unknown path) still has its socket closed.
 */
export async function liveWebsocket(app: App): Promise<void> {
  await app.register(websocket, {
    options: {
      maxPayload: 4096,
      // Never echo the key back as the chosen subprotocol.
      handleProtocols: (protocols) => (protocols.has('paylens') ? 'paylens' : false),
    },
  });
}

/** What the live feed's route uses: the hub that holds sessions, and the key checks (and their limits) of the API. */
export interface LiveRoutesDeps {
  hub: Pick<LiveHub, 'ready' | 'subscribe'>;
  auth: Parameters<typeof authorize>[0];
}

export async function liveRoutes(app: App, { hub, auth }: LiveRoutesDeps): Promise<void> {
  // Start serving only once this instance receives the fan-out channel.
  await hub.ready();

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
        description: `Upgrade to a WebSocket that pushes \`{type: 'event'|'risk'|'alert', data}\` for the caller's tenant only. Authenticate with the dashboard's session cookie, the subprotocols \`paylens, pl_…\` (what browsers can send), \`Authorization: Bearer\`, or \`?token=pl_…\`. A slow client's messages are dropped beyond a bounded buffer and it then receives \`{type:'lagged', data:{dropped}}\`. The connection is closed with code 1008 and a reason: \`api key revoked\` at once when its key is revoked, \`api key expired or revoked\` within seconds when the periodic check finds the key gone, \`session ended\` at once when its session ends (sign-out, the user disabled or given another role) or is found expired. ${scopeNote('read', 'view')}`,
        tags: ['live'],
        querystring: z.object({ token: z.string().max(200).optional() }),
      },
      onRequest: async (request, reply) => {
        // Without a key, the dashboard's session cookie (authorize refuses when there is neither).
        request.principal = await authorize(auth, request, reply, liveToken(request), 'read', 'view');
      },
    },
    (socket, request) => {
      const principal = request.principal;
      if (!principal) {
        socket.close(1008, 'unauthorized');
        return;
      }
      const { tenantId, keyId } = principal;
      socket.on('pong', () => awaitingPong.delete(socket));
      // A signed-in user's feed lives as long as their session: it is what ends (sign-out, disable, role change).
      const detach = principal.user
        ? hub.subscribe(tenantId, socket, principal.user.sessionId, 'session')
        : hub.subscribe(tenantId, socket, keyId, 'api_key');
      socket.on('close', detach);
      socket.on('error', detach);
      socket.send(JSON.stringify({ type: 'ready', data: { tenantId } } satisfies LiveMessage));
    },
  );
}

/** Paths the dashboard must never shadow: unknown API URLs keep answering problem+json 404s. */
const RESERVED = /^\/(v1|docs|health|metrics|ws|admin)(\/|$|\?)/;

function dashboardRoot(): string {
  return resolve(process.cwd(), 'web', 'dist');
}

/**
 * Serves the built dashboard at `/` with a single-page-app fallback to index.html. Without a build
 * (`npm run build:web` not run) the server starts all the same, API only.
 */
export async function dashboardStatic(app: App, { root = dashboardRoot() }: { root?: string } = {}): Promise<void> {
  if (!existsSync(join(root, 'index.html'))) {
    app.log.warn({ root }, 'dashboard not built (npm run build:web); serving the API only');
    return;
  }
  await app.register(fastifyStatic, { root, wildcard: false, index: ['index.html'], cacheControl: false });
  // Hashed assets are immutable; index.html must be revalidated so a new build is picked up.
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url.startsWith('/assets/')) reply.header('cache-control', 'public, max-age=31536000, immutable');
    return payload;
  });
  app.get('/*', { schema: { hide: true } }, (request, reply) => {
    if (RESERVED.test(request.url))
      throw new AppError('not_found', `No route for ${request.method} ${request.url.split('?')[0]}`);
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
}
