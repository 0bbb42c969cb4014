// HTTP API of consultations and avis, for facilitators' tools (see docs/api.md).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { ConsultationError, type ConsultationService } from '../../participation/consultations.js';
import { reportToCsv, toCsv } from '../../participation/csv.js';
import { requireToken } from '../auth.js';

const launchBody = z.object({
  group: z.string().min(1, { error: 'the group code or id' }),
  flow: z.string().min(1, { error: 'the flow id, e.g. mobilite-forum' }),
  deadline: z.iso.datetime({
    offset: true,
    error: 'an ISO 8601 date-time, e.g. 2026-12-15T18:00:00+01:00',
  }),
  anonymous: z.boolean().optional(),
  minAnswers: z.int().min(1).max(100).optional(),
  reminders: z
    .array(z.iso.datetime({ offset: true }))
    .max(2)
    .optional(),
  title: z.string().min(1).max(200).optional(),
});

function invalid(reply: FastifyReply, error: z.ZodError) {
  return reply.code(400).send({
    error: 'invalid request',
    problems: error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`),
  });
}

export function consultationRoutes(
  app: FastifyInstance,
  prisma: PrismaClient,
  consultations: ConsultationService,
): void {
  app.register(async (api) => {
    api.addHook('preHandler', requireToken(prisma));
    api.setErrorHandler((error, _req, reply) => {
      if (error instanceof ConsultationError)
        return reply.code(error.status).send({ error: error.message });
      return reply.send(error);
    });

    api.post('/api/consultations', async (req, reply) => {
      const body = launchBody.safeParse(req.body);
      if (!body.success) return invalid(reply, body.error);
      const result = await consultations.launch({
        organisationId: req.organisationId as string,
        group: body.data.group,
        flowId: body.data.flow,
        deadline: new Date(body.data.deadline),
        anonymous: body.data.anonymous,
        minAnswers: body.data.minAnswers,
        reminders: body.data.reminders?.map((d) => new Date(d)),
        title: body.data.title,
      });
      return reply.code(201).send({
        id: result.consultation.id,
        invited: result.invited,
        unreachable: result.unreachable,
        deadline: result.consultation.deadline.toISOString(),
        reminders: result.consultation.reminders,
      });
    });

    api.get('/api/consultations', async (req) =>
      (await consultations.list(req.organisationId as string)).map((c) => ({
        id: c.id,
        title: c.title,
        flow: c.flowId,
        flowVersion: c.flowVersion,
        group: c.group.code,
        status: c.status,
        anonymous: c.anonymous,
        launchedAt: c.launchedAt.toISOString(),
        deadline: c.deadline.toISOString(),
      })),
    );

    api.get<{ Params: { id: string } }>('/api/consultations/:id/results', async (req) =>
      consultations.report(req.organisationId as string, req.params.id),
    );

    api.get<{ Params: { id: string } }>(
      '/api/consultations/:id/results.csv',
      async (req, reply) => {
        const report = await consultations.report(req.organisationId as string, req.params.id);
        return reply
          .type('text/csv; charset=utf-8')
          .header(
            'content-disposition',
            `attachment; filename="consultation-${report.consultation.id}.csv"`,
          )
          .send(reportToCsv(report));
      },
    );

    api.get<{ Querystring: { group?: string; format?: string } }>(
      '/api/avis',
      async (req, reply) => {
        const avis = await prisma.avis.findMany({
          where: {
            organisationId: req.organisationId as string,
            ...(req.query.group ? { group: { code: req.query.group } } : {}),
          },
          include: { group: { select: { code: true, name: true } } },
          orderBy: { createdAt: 'desc' },
          take: 1000,
        });
        const rows = avis.map((a) => ({
          id: a.id,
          theme: a.theme,
          text: a.text,
          voice: a.voiceRef !== null,
          group: a.group?.code ?? null,
          createdAt: a.createdAt.toISOString(),
        }));
        if (req.query.format === 'csv') {
          return reply
            .type('text/csv; charset=utf-8')
            .send(
              toCsv([
                ['date', 'groupe', 'thème', 'avis', 'message vocal'],
                ...rows.map((r) => [
                  r.createdAt,
                  r.group,
                  r.theme,
                  r.text,
                  r.voice ? 'oui' : 'non',
                ]),
              ]),
            );
        }
        return rows;
      },
    );
  });
}
