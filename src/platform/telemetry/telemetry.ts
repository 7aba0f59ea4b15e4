import { subscribe } from 'node:diagnostics_channel';
import { register } from 'node:module';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import * as Sentry from '@sentry/node';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { enableSpans } from '../tracing.js';

export interface TelemetryOptions {
  /** `service.name` of every span: paylens-api, paylens-worker or paylens-cli. */
  serviceName: string;
  /** OTLP/HTTP base URL (`…/v1/traces` is appended); without it no span is made or exported. */
  otlpEndpoint?: string;
  /** Sentry (or a compatible receiver) DSN; without it no error is reported. */
  sentryDsn?: string;
  /** Reported with every error event (the deployed version). */
  release?: string;
}

export interface Telemetry {
  /** Exports every finished span and sends every queued error event. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Paths never traced: probes and scrapes arrive every few seconds and say nothing about a request. */
const UNTRACED_PATH = /^\/(health\/|metrics(\?|$))/;

/** Redis keys carry hashed customer and card identities: a span names the command only. */
const commandOnly = (command: string) => command;

/**
 * Starts tracing and error reporting for this process. Must run before the application's modules
 * are imported (entrypoints import them dynamically afterwards): the instrumentations patch `pg`,
 * `ioredis` and `http` as they load, and Fastify instances are instrumented as they are created.
 * The request span comes from the HTTP instrumentation, which honours an incoming `traceparent`.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const parts: Telemetry[] = [];
  if (options.otlpEndpoint) parts.push(startTracing(options.serviceName, options.otlpEndpoint));
  if (options.sentryDsn) parts.push(startErrorReporting(options));
  return {
    flush: async () => {
      await Promise.all(parts.map((p) => p.flush()));
    },
    shutdown: async () => {
      await Promise.all(parts.map((p) => p.shutdown()));
    },
  };
}

function startTracing(serviceName: string, endpoint: string): Telemetry {
  // ioredis is imported from ES modules, which require hooks never see; only it goes through the loader hook.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include: ['ioredis'] } });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` })),
    ],
  });
  // Registers the W3C trace-context propagator too, so an incoming traceparent becomes the parent.
  provider.register();
  enableSpans();
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATH.test(request.url ?? ''),
      }),
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        ignorePaths: (route) => UNTRACED_PATH.test(route.url),
      }),
      // Statements only inside a traced operation: pool housekeeping and migrations would be noise.
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: commandOnly }),
    ],
  });
  return {
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      unregister();
      await provider.shutdown();
    },
  };
}

/**
 * Errors worth a report: every answer of 500 or more. `onError` runs before the error handler has
 * chosen the status, so the error waits on its request until `onResponse` knows the status; an
 * answer of 500 or more with no error (a 503 while a dependency is down) is reported as a message.
 */
function reportServerErrors(fastify: FastifyInstance): void {
  const errors = new WeakMap<FastifyRequest, Error>();
  fastify.addHook('onError', (request, _reply, error, done) => {
    errors.set(request, error);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    if (reply.statusCode >= 500) {
      const route = request.routeOptions.url ?? 'unmatched';
      Sentry.withScope((scope) => {
        scope.setTag('route', route);
        scope.setTag('method', request.method);
        scope.setTag('status', String(reply.statusCode));
        scope.setTag('request_id', request.id);
        const error = errors.get(request);
        if (error) Sentry.captureException(error);
        else Sentry.captureMessage(`${request.method} ${route} answered ${reply.statusCode}`, 'error');
      });
    }
    done();
  });
}

function startErrorReporting(options: TelemetryOptions): Telemetry {
  // Errors only: Sentry's default integrations would wrap http and console, and its tracing would compete with ours.
  Sentry.initWithoutDefaultIntegrations({
    dsn: options.sentryDsn,
    release: options.release,
    serverName: options.serviceName,
    integrations: [
      Sentry.linkedErrorsIntegration(),
      Sentry.dedupeIntegration(),
      Sentry.nodeContextIntegration(),
      Sentry.onUncaughtExceptionIntegration(),
      Sentry.onUnhandledRejectionIntegration(),
    ],
  });
  // Fastify announces each new instance on this channel, so every app of the process reports its 5xx.
  subscribe('fastify.initialization', (message) =>
    reportServerErrors((message as { fastify: FastifyInstance }).fastify),
  );
  return {
    flush: async () => {
      await Sentry.flush(5_000);
    },
    shutdown: async () => {
      await Sentry.close(5_000);
    },
  };
}
