import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One span as the OTLP/JSON exporter sends it (ids in hex, per the OTLP JSON encoding). */
export interface ReceivedSpan {
  service: string;
  scope: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpTraceRequest {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      scope?: { name?: string };
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: OtlpAttribute[];
        links?: { traceId: string; spanId: string }[];
      }[];
    }[];
  }[];
}

function valueOf(v: OtlpValue): unknown {
  return v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue;
}

function attributesOf(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, valueOf(a.value)]));
}

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export interface OtlpReceiver {
  /** The base URL to give as OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint: string;
  spans: ReceivedSpan[];
  /** Resolves once `predicate` holds over the spans received so far (polls until `timeoutMs`). */
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

/** An OTLP/HTTP trace endpoint on loopback that decodes the exporter's real JSON requests. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((request, response) => {
    bodyOf(request).then(
      (body) => {
        if (
          request.method !== 'POST' ||
          request.url !== '/v1/traces' ||
          !/json/.test(request.headers['content-type'] ?? '')
        ) {
          response.writeHead(415).end();
          return;
        }
        const decoded = JSON.parse(body.toString('utf8')) as OtlpTraceRequest;
        for (const resourceSpans of decoded.resourceSpans ?? []) {
          const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name']);
          for (const scopeSpans of resourceSpans.scopeSpans ?? [])
            for (const span of scopeSpans.spans ?? [])
              spans.push({
                service,
                scope: scopeSpans.scope?.name ?? '',
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId ?? '',
                name: span.name,
                kind: span.kind,
                attributes: attributesOf(span.attributes),
                links: (span.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
              });
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      },
      () => response.writeHead(400).end(),
    );
  });
  const address = await listen(server);
  return {
    endpoint: `http://${address}`,
    spans,
    async waitFor(predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(spans)) {
        if (Date.now() > deadline)
          throw new Error(`spans never matched; received: ${spans.map((s) => s.name).join(', ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return spans;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** One item of a Sentry envelope: its header and its payload (JSON when it parses). */
export interface EnvelopeItem {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

export interface SentryReceiver {
  /** A DSN naming this receiver (project 42). */
  dsn: string;
  events: EnvelopeItem[];
  requests: { path: string; auth: string }[];
  waitFor(predicate: (events: EnvelopeItem[]) => boolean, timeoutMs?: number): Promise<EnvelopeItem[]>;
  close(): Promise<void>;
}

/** A Sentry ingestion endpoint on loopback: accepts envelopes at /api/<project>/envelope/ and splits them into items. */
export async function startSentryReceiver(): Promise<SentryReceiver> {
  const events: EnvelopeItem[] = [];
  const requests: { path: string; auth: string }[] = [];
  const server = createServer((request, response) => {
    bodyOf(request).then(
      (body) => {
        requests.push({ path: request.url ?? '', auth: String(request.headers['x-sentry-auth'] ?? '') });
        if (request.method !== 'POST' || request.url?.split('?')[0] !== '/api/42/envelope/') {
          response.writeHead(404).end();
          return;
        }
        // An envelope: a header line, then per item a header line and a payload line.
        const lines = body.toString('utf8').split('\n');
        for (let i = 1; i + 1 < lines.length; i += 2) {
          const header = JSON.parse(lines[i]!) as Record<string, unknown>;
          let payload: Record<string, unknown>;
          try {
            payload = JSON.parse(lines[i + 1]!) as Record<string, unknown>;
          } catch {
            payload = { raw: lines[i + 1] };
          }
          events.push({ header, payload });
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      },
      () => response.writeHead(400).end(),
    );
  });
  const address = await listen(server);
  return {
    dsn: `http://publickey@${address}/42`,
    events,
    requests,
    async waitFor(predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(events)) {
        if (Date.now() > deadline) throw new Error(`no matching envelope; received ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return events;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
