import { createServer, type Server } from 'node:http';
import { problemType, errorCodes } from '../errors/codes.js';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem-handler.js';
import { liveness } from './health.routes.js';

const RETRY_AFTER_SECONDS = 5;

export interface StartingListener {
  /** What readiness reports for the database until the app takes over: the last connect attempt. */
  databaseDown(error: unknown, latencyMs: number): void;
  close(): Promise<void>;
}

/**
 * Holds the API port while the server waits for its database: /health/live answers 200 (the process
 * is fine, do not restart it), /health/ready and every other path 503 problem+json with Retry-After,
 * so a load balancer keeps the instance out and clients retry. The app takes the port once this closes.
 */
export async function listenWhileStarting(host: string, port: number): Promise<StartingListener> {
  const live = liveness();
  let database = { error: 'not connected yet', latencyMs: 0 };
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === '/health/live') {
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(live()));
      return;
    }
    const { status, title } = errorCodes.unavailable;
    const ready = path === '/health/ready';
    const body = {
      type: problemType('unavailable'),
      title,
      status,
      detail: ready ? 'Not ready: database down' : 'Starting: the database is not reachable yet',
      code: 'unavailable',
      instance: path,
      ...(ready
        ? {
            checks: {
              database: {
                status: 'down',
                required: true,
                latencyMs: database.latencyMs,
                error: database.error,
              },
            },
          }
        : {}),
    };
    response.writeHead(status, { 'content-type': PROBLEM_CONTENT_TYPE, 'retry-after': String(RETRY_AFTER_SECONDS) });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    databaseDown: (error, latencyMs) => {
      const message = error instanceof Error ? error.message || error.name : String(error);
      database = { error: message.slice(0, 200), latencyMs: Math.round(latencyMs * 100) / 100 };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
