import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Container } from './container.js';
import { registerProblemHandler } from './platform/errors/problem-handler.js';
import { configuredChecks } from './platform/http/health-checks.js';
import { healthRoutes } from './platform/http/health.routes.js';
import { rateLimited } from './platform/http/rate-limit.js';
import { requestSerializer } from './platform/http/request-log.js';
import { dashboardSecurityHeaders, securityHeaders } from './platform/http/security-headers.js';
import type { App } from './platform/http/types.js';
import { loggerOptions } from './platform/logging/logger.js';
import { methodLabel } from './platform/metrics/metrics.js';
import { newId } from './platform/ids.js';
import { ingestRoutes } from './modules/ingest/index.js';
import { accessRoutes } from './modules/access/index.js';
import { paymentRoutes } from './modules/payments/index.js';
import { dashboardStatic, liveRoutes, liveWebsocket } from './modules/live/index.js';
import { riskRoutes } from './modules/risk/index.js';
import { analyticsRoutes } from './modules/analytics/index.js';
import {
  adminRoutes,
  apiKeyAuth,
  apiKeyRoutes,
  auditRoutes,
  auditTrail,
  declareScope,
} from './modules/tenancy/index.js';
import { webhookDeliveryRoutes, webhookEndpointRoutes } from './modules/webhooks/index.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Set on every route that checks credentials: whose failed authentications (401 answers) count
     * toward RATE_LIMIT_AUTH_FAILURES_PER_MINUTE. Webhook deliveries count per address and endpoint,
     * so one tenant's misconfigured secret never locks a provider's shared address out of the rest.
     */
    authFailures?: 'address' | 'address+endpoint';
  }
}

/** Which routes check credentials, by path: the API, its webhooks, the operator routes, the live feed and a token-guarded /metrics. */
function authFailureScope(url: string): 'address' | 'address+endpoint' | undefined {
  if (url.startsWith('/v1/webhooks/')) return 'address+endpoint';
  if (url.startsWith('/v1/') || url.startsWith('/admin/') || url === '/ws' || url === '/metrics') return 'address';
  return undefined;
}

function failureSubject(request: FastifyRequest): string | null {
  const scope = request.routeOptions.config.authFailures;
  if (!scope) return null;
  if (scope === 'address') return request.ip;
  const { endpointId } = request.params as { endpointId?: string };
  return `${request.ip}|${endpointId ?? ''}`;
}

export interface BuildAppOptions {
  /** Log through pino (default); tests pass false to keep output quiet. */
  logger?: boolean;
}

/** buildApp(container): plugins → modules → error handler. No listening, so tests can inject. */
export async function buildApp(container: Container, options: BuildAppOptions = {}): Promise<App> {
  const { config } = container;
  const app = Fastify({
    // The request line is logged with a ?token= query value (the live feed's key) masked.
    logger:
      options.logger === false
        ? false
        : { ...loggerOptions(config.LOG_LEVEL), serializers: { req: requestSerializer } },
    bodyLimit: config.MAX_BODY_BYTES,
    // The client address (rate limits, key allowlists) comes from X-Forwarded-For only when the peer is a listed proxy.
    trustProxy: config.TRUSTED_PROXIES ? config.TRUSTED_PROXIES.split(',').map((p) => p.trim()) : false,
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : newId('req');
    },
    // Per-request lines only at debug: at thousands of events per second they would dominate the cost.
    logController: new LogController({
      disableRequestLogging: config.LOG_LEVEL !== 'debug' && config.LOG_LEVEL !== 'trace',
    }),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('principal', null);
  registerProblemHandler(app);

  const security = securityHeaders(dashboardSecurityHeaders);
  const { limits } = container;
  app.addHook('onRoute', (route) => {
    const scope = authFailureScope(route.url);
    if (scope) route.config = { ...route.config, authFailures: scope };
  });
  // Session cookies (the dashboard's sign-in) are read on /v1 and /ws.
  await app.register(cookie);
  await liveWebsocket(app);
  const checkLimits = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const subject = failureSubject(request);
    const [perAddress, failures] = await Promise.all([
      // Health probes pass uncounted while Redis is down, even with RATE_LIMIT_ON_REDIS_DOWN=closed.
      limits.address(request.ip, request.url.startsWith('/health/')),
      subject === null ? null : limits.failuresExceeded(subject),
    ]);
    if (failures !== null) throw rateLimited(reply, failures, 'Too many failed authentications from this address');
    if (perAddress !== null) throw rateLimited(reply, perAddress, 'Too many requests from this address');
  };
  // Callback hooks: with the limits off (benchmarks) nothing here waits, so no promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(security);
    reply.header('X-Request-ID', request.id);
    if (!limits.enabled) return done();
    checkLimits(request, reply).then(() => done(), done);
  });
  app.addHook('onResponse', (request, reply, done) => {
    // Labels from closed sets only: a route pattern (never the URL), the method, the status class.
    container.metrics.httpRequestDuration.observe(
      {
        method: methodLabel(request.method),
        route: request.routeOptions.url ?? 'unmatched',
        status: `${Math.floor(reply.statusCode / 100)}xx`,
      },
      reply.elapsedTime / 1000,
    );
    const subject = reply.statusCode === 401 && limits.enabled ? failureSubject(request) : null;
    if (subject === null) return done();
    limits.failed(subject).then(() => done(), done);
  });

  // Without allowed origins there is nothing to answer a browser with, and the plugin would still run on every request.
  if (config.CORS_ORIGINS) await app.register(cors, { origin: config.CORS_ORIGINS.split(',').map((o) => o.trim()) });
  if (config.API_DOCS) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'Paylens API',
          version: '1.0.0',
          description: 'Ingest, normalize, score and observe payment events from every provider.',
        },
        components: {
          securitySchemes: {
            apiKey: {
              type: 'http',
              scheme: 'bearer',
              description: 'pl_… API key. Each route says the scope it needs: ingest, score, read or manage.',
            },
          },
        },
        security: [{ apiKey: [] }],
      },
      transform: jsonSchemaTransform,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  }

  // Each module's routes get the slice of services they use (their *RoutesDeps), never the container.
  await app.register(healthRoutes, {
    checks: configuredChecks(config, {
      primary: container.db,
      replica: container.replica?.db ?? null,
      redis: container.redis,
    }),
    metricsRegistry: container.metrics.registry,
    metricsToken: config.METRICS_TOKEN,
  });
  await app.register(adminRoutes, {
    adminToken: config.PAYLENS_ADMIN_TOKEN,
    tenants: container.tenants,
    apiKeys: container.apiKeys,
    prefix: '/admin/v1',
  });
  await app.register(liveRoutes, {
    hub: container.live,
    auth: { keys: container.apiKeys, limits, sessions: container.access.service },
  });
  await app.register(dashboardStatic);

  await app.register(webhookDeliveryRoutes, { deliveries: container.webhooks.deliveries, prefix: '/v1' });
  await app.register(
    async (v1: App) => {
      v1.addHook('onRoute', declareScope);
      v1.addHook('onRequest', apiKeyAuth({ keys: container.apiKeys, limits, sessions: container.access.service }));
      // Only routes that name an audit action get the hook: the hot paths (ingest, scoring) pay nothing for it.
      v1.addHook('onRoute', (route) => {
        const action = route.config?.audit;
        if (!action) return;
        const own = route.onSend === undefined ? [] : Array.isArray(route.onSend) ? route.onSend : [route.onSend];
        route.onSend = [...own, auditTrail(container.audit, action)];
      });
      await v1.register(ingestRoutes, {
        intake: container.intake,
        registry: container.registry,
        paymentEvents: container.paymentEvents,
        rawEvents: container.rawEvents,
        deadLetters: container.deadLetters,
        maxBatchBodyBytes: config.MAX_BATCH_BODY_BYTES,
      });
      await v1.register(accessRoutes, {
        access: container.access.service,
        sso: container.access.sso,
        publicUrl: container.access.publicUrl,
        sessionMaxAgeSeconds: config.SESSION_MAX_HOURS * 3600,
      });
      await v1.register(apiKeyRoutes, { apiKeys: container.apiKeys });
      await v1.register(auditRoutes, { audit: container.audit });
      await v1.register(paymentRoutes, { payments: container.payments });
      await v1.register(webhookEndpointRoutes, { endpoints: container.webhooks.endpoints });
      await v1.register(riskRoutes, {
        ...container.risk,
        customerKey: container.customerKey,
        clock: container.clock,
        live: container.live,
      });
      await v1.register(analyticsRoutes, {
        queries: container.analytics.queries,
        alerts: container.analytics.alerts,
        alertRepository: container.analytics.alertRepository,
        clock: container.clock,
      });
    },
    { prefix: '/v1' },
  );

  return app;
}
