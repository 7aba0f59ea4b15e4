import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Listener {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** TCP connections accepted: what an SSRF test asserts is zero. */
  connections(): number;
  requests: Array<{ method: string; url: string; authorization: string | undefined; body: string }>;
  close(): Promise<void>;
}

/** A real HTTP listener on loopback standing in for an internal service (or a provider API when allowed). */
export async function startListener(
  handle: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<Listener> {
  let connections = 0;
  const requests: Listener['requests'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
      handle(req, res, body);
    });
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connections: () => connections,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
