import Fastify from 'fastify';

/** The ceiling: a bare Fastify JSON handler doing nothing but parse and answer, on the same machine. */
const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.get('/health/ready', async () => ({ status: 'ok' }));
app.post('/v1/events', async (request, reply) =>
  reply.code(201).send({ ok: true, size: JSON.stringify(request.body).length }),
);
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
