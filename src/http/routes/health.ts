import type { FastifyInstance } from 'fastify';
import { checkReadiness } from '../../db/readiness.js';
import type { PrismaClient } from '../../generated/prisma/client.js';

export function healthRoutes(app: FastifyInstance, prisma: PrismaClient): void {
  // Liveness: the process answers. Nothing else, so a slow database never gets it killed.
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

  // Readiness: send traffic here only when the database answers and is migrated.
  app.get('/readyz', { logLevel: 'warn' }, async (_req, reply) => {
    const readiness = await checkReadiness(prisma);
    const { error: _hidden, ...body } = readiness;
    return reply.code(readiness.ready ? 200 : 503).send(body);
  });
}
