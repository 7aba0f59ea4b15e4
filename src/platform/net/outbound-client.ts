import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import { isPublicAddress } from './address-policy.js';

/** What the operator allows beyond public HTTPS (OUTBOUND_ALLOW_HTTP, OUTBOUND_ALLOW_PRIVATE). */
export interface OutboundPolicy {
  allowHttp: boolean;
  allowPrivate: boolean;
}

/**
 * Why a call failed, as a stable word: the message never carries the remote body or the system's
 * error text, so a tenant cannot use a URL setting to probe what answers where.
 */
export type OutboundFailure = 'refused' | 'unreachable' | 'timeout' | 'too_large';

export class OutboundError extends Error {
  constructor(
    readonly reason: OutboundFailure,
    message: string,
  ) {
    super(message);
    this.name = 'OutboundError';
  }
}

export interface OutboundRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Whole call, from connecting to the last body byte. */
  timeoutMs?: number;
  maxResponseBytes?: number;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Every call the server makes on a tenant's behalf goes through this. */
export interface OutboundHttp {
  /** Null when the URL may be called under the policy, else why not (checked before any network use). */
  urlProblem(url: string): string | null;
  /** Answers any status (a 3xx is returned, never followed); throws OutboundError when there is no answer. */
  request(url: string, init?: OutboundRequest): Promise<OutboundResponse>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
const ADDRESS_REFUSED =
  'refused: the destination address is not public (set OUTBOUND_ALLOW_PRIVATE=true to allow private networks)';

/** Raised inside the connector; its own class so a refusal is told apart from a network failure. */
class AddressRefused extends Error {
  constructor() {
    super(ADDRESS_REFUSED);
    this.name = 'AddressRefused';
  }
}

function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** `localhost` and `*.localhost` are loopback by definition (RFC 6761), whatever DNS says. */
function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * Resolves like dns.lookup, then refuses the whole answer if any address is not public: checked
 * here, when the socket connects, so a name cannot pass a check and then rebind to 127.0.0.1.
 */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    if (addresses.length === 0 || addresses.some((a) => !isPublicAddress(a.address)))
      return callback(new AddressRefused(), '', 0);
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
};

/**
 * The one outbound HTTP client: https only unless allowed, public addresses only unless allowed
 * (checked at connect time, IP literals included), no redirects, a connect and a total timeout,
 * and a cap on the response size.
 */
export class OutboundClient implements OutboundHttp {
  private readonly agent: Agent;

  constructor(private readonly policy: OutboundPolicy) {
    const connect = buildConnector({
      timeout: CONNECT_TIMEOUT_MS,
      ...(policy.allowPrivate ? {} : { lookup: publicOnlyLookup }),
    });
    this.agent = new Agent({
      connect: (options, callback) => {
        // Node skips the lookup for an IP literal, so a literal is judged here, still at connect time.
        const host = options.hostname.startsWith('[') ? options.hostname.slice(1, -1) : options.hostname;
        if (!policy.allowPrivate && isIP(host) !== 0 && !isPublicAddress(host))
          return callback(new AddressRefused(), null);
        connect(options, callback);
      },
    });
  }

  urlProblem(raw: string): string | null {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return 'not a URL';
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.policy.allowHttp)) {
      return url.protocol === 'http:'
        ? 'refused: http is not allowed (use https, or set OUTBOUND_ALLOW_HTTP=true)'
        : `refused: ${url.protocol} URLs are not allowed`;
    }
    if (url.username || url.password) return 'refused: credentials in the URL are not allowed';
    if (this.policy.allowPrivate) return null;
    const host = hostOf(url);
    if ((isIP(host) !== 0 && !isPublicAddress(host)) || isLocalhostName(host)) return ADDRESS_REFUSED;
    return null;
  }

  async request(url: string, init: OutboundRequest = {}): Promise<OutboundResponse> {
    const problem = this.urlProblem(url);
    if (problem) throw new OutboundError('refused', problem);
    const signal = AbortSignal.timeout(init.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const maxBytes = init.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    try {
      const res = await request(url, {
        dispatcher: this.agent,
        method: init.method ?? 'GET',
        headers: init.headers,
        body: init.body,
        signal,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) {
          res.body.destroy();
          throw new OutboundError('too_large', `the response is larger than ${maxBytes} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
      return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) };
    } catch (error) {
      if (error instanceof OutboundError) throw error;
      if (causes(error).some((e) => e instanceof AddressRefused)) throw new OutboundError('refused', ADDRESS_REFUSED);
      if (signal.aborted || causes(error).some((e) => (e as { code?: unknown }).code === 'UND_ERR_CONNECT_TIMEOUT'))
        throw new OutboundError('timeout', 'the request timed out');
      throw new OutboundError('unreachable', 'could not connect or the connection failed');
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** The error and the causes it wraps. */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e instanceof Error && chain.length < 5; e = e.cause) chain.push(e);
  return chain;
}

/** For code paths that have no tenant context to call out for: every request is refused. */
export const noOutbound: OutboundHttp = {
  urlProblem: () => 'refused: no outbound calls here',
  request: () => Promise.reject(new OutboundError('refused', 'refused: no outbound calls here')),
};

/** JSON of a response body, or null when it is not JSON. */
export function jsonBody(res: OutboundResponse): unknown {
  try {
    return JSON.parse(res.body.toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

/** A base URL without its trailing slashes, by a loop: /\/+$/ retries from every slash of a run (quadratic on a hostile setting). */
export function withoutTrailingSlashes(url: string): string {
  let end = url.length;
  while (end > 0 && url.charCodeAt(end - 1) === 47) end -= 1;
  return url.slice(0, end);
}
