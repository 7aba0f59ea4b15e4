# Production image: compiled server, CLI and dashboard; production dependencies only; runs unprivileged.
# Node 22 although package.json allows 20.19: cookie 2 (under @fastify/cookie and light-my-request) and
# content-disposition 3 (under @fastify/static) declare Node >= 22 (npm ci warns EBADENGINE on 20).
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 PAYLENS_DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/web/dist ./web/dist
COPY --from=build --chown=root:root /app/bin ./bin
COPY --chown=root:root package.json ./
# The embedded mode (no DATABASE_URL) keeps PGlite in /data, which the unprivileged user must own;
# the code itself stays root-owned, so the process cannot rewrite it.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
# Liveness: the process answers (node's fetch, as the slim image has no curl). Readiness
# (/health/ready: database, Redis, worker heartbeat) is for the load balancer and Kubernetes, which
# take an instance out of rotation; Docker only marks it unhealthy. The worker runs this image with
# `node bin/paylens.js worker` and no HTTP port, so compose and Kubernetes turn this check off for it.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# A young generation sized for throughput on PostgreSQL: a batch's parsed items outlive a 4 MB
# semi-space and were promoted and collected again (docs/benchmarks.md: batches +11–23 %, ~65 MB more
# at peak). `npm start` keeps 4 MB and one V8 background thread for the embedded server's idle RSS;
# run this image embedded (PGlite on /data) with
# `node --max-semi-space-size=4 --v8-pool-size=1 dist/src/entrypoints/server.js` to do the same.
CMD ["node", "--max-semi-space-size=32", "dist/src/entrypoints/server.js"]
