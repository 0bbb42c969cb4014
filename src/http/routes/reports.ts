// Indicators as JSON and as a French-Excel CSV (see src/reports/indicators.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppointmentService } from '../../appointments/service.js';
import { APPOINTMENT_KINDS } from '../../appointments/settings.js';
import { indicatorsToCsv } from '../../reports/csv.js';
import { indicators } from '../../reports/indicators.js';
import { requireToken } from '../auth.js';

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, { error: 'a month, e.g. 2026-03' });
const query = z.object({ from: month, to: month, kind: z.enum(APPOINTMENT_KINDS).optional() });

export function reportRoutes(app: FastifyInstance, service: AppointmentService): void {
  const { prisma } = service;
  app.register(async (api) => {
    api.addHook('preHandler', requireToken(prisma));
    const build = async (req: FastifyRequest) => {
      const q = query.safeParse(req.query);
      if (!q.success)
        return { problems: q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
      if (q.data.from > q.data.to) return { problems: ['from: after to'] };
      const org = await service.organisation(prisma, req.organisationId as string);
      return { report: await indicators(prisma, org, q.data, service.now()) };
    };
    api.get('/api/reports/indicators', async (req, reply) => {
      const r = await build(req);
      if ('problems' in r)
        return reply.code(400).send({ error: 'invalid request', problems: r.problems });
      return r.report;
    });
    api.get('/api/reports/indicators.csv', async (req, reply) => {
      const r = await build(req);
      if ('problems' in r)
        return reply.code(400).send({ error: 'invalid request', problems: r.problems });
      return reply
        .type('text/csv; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="indicateurs-${r.report.from}-${r.report.to}.csv"`,
        )
        .send(indicatorsToCsv(r.report));
    });
  });
}
