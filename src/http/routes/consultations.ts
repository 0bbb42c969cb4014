// HTTP API of consultations and avis, for facilitators' tools (see docs/api.md).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { ConsultationError, type ConsultationService } from '../../participation/consultations.js';
import { reportToCsv, toCsv } from '../../participation/csv.js';
import { participationSettingsSchema } from '../../participation/settings.js';
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

// An Idempotency-Key (IETF draft httpapi-idempotency-key-header): printable ASCII.
const idempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{8,200}$/, {
    error: 'Idempotency-Key: 8 to 200 printable characters, e.g. a UUID',
  })
  .optional();

const period = z.object({
  from: z.iso.date({ error: 'from: a day, e.g. 2026-03-01' }).optional(),
  to: z.iso.date({ error: 'to: a day, e.g. 2026-04-01 (not included)' }).optional(),
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
      const key = idempotencyKey.safeParse(req.headers['idempotency-key']);
      if (!key.success) return invalid(reply, key.error);
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
        idempotencyKey: key.data,
      });
      // The same key again answers as the first time, with the invitations finished.
      return reply
        .code(result.replayed ? 200 : 201)
        .header('idempotent-replayed', result.replayed ? 'true' : 'false')
        .send({
          id: result.consultation.id,
          invited: result.invited,
          unreachable: result.unreachable,
          deadline: result.consultation.deadline?.toISOString() ?? null,
          reminders: result.consultation.reminders,
        });
    });

    api.get<{ Querystring: { flow?: string } }>('/api/consultations', async (req) =>
      (await consultations.list(req.organisationId as string, { flowId: req.query.flow })).map(
        (c) => ({
          id: c.id,
          title: c.title,
          flow: c.flowId,
          flowVersion: c.flowVersion,
          group: c.group?.code ?? null,
          standing: c.standingKey !== null,
          status: c.status,
          anonymous: c.anonymous,
          launchedAt: c.launchedAt.toISOString(),
          deadline: c.deadline?.toISOString() ?? null,
        }),
      ),
    );

    const report = (req: { organisationId?: string; params: { id: string }; query: unknown }) => {
      const q = period.safeParse(req.query ?? {});
      if (!q.success) {
        throw new ConsultationError(400, q.error.issues.map((i) => i.message).join('; '));
      }
      return consultations.report(req.organisationId as string, req.params.id, {
        from: q.data.from ? new Date(`${q.data.from}T00:00:00Z`) : undefined,
        to: q.data.to ? new Date(`${q.data.to}T00:00:00Z`) : undefined,
      });
    };

    api.get<{ Params: { id: string } }>('/api/consultations/:id/results', async (req) =>
      report(req),
    );

    api.get<{ Params: { id: string } }>(
      '/api/consultations/:id/results.csv',
      async (req, reply) => {
        const result = await report(req);
        return reply
          .type('text/csv; charset=utf-8')
          .header(
            'content-disposition',
            `attachment; filename="consultation-${result.consultation.id}.csv"`,
          )
          .send(reportToCsv(result));
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

    api.get('/api/settings/participation', async (req) =>
      participationSettingsSchema.parse(
        (
          (
            await prisma.organisation.findUniqueOrThrow({
              where: { id: req.organisationId as string },
              select: { settings: true },
            })
          ).settings as { participation?: unknown }
        )?.participation ?? {},
      ),
    );

    api.put('/api/settings/participation', async (req, reply) => {
      const parsed = participationSettingsSchema.safeParse(req.body ?? {});
      if (!parsed.success) return invalid(reply, parsed.error);
      if (!consultations.flows.current(parsed.data.avisAfterRio.flow)) {
        return reply.code(400).send({
          error: 'invalid request',
          problems: [`avisAfterRio.flow: no flow "${parsed.data.avisAfterRio.flow}" is loaded`],
        });
      }
      const current = await prisma.organisation.findUniqueOrThrow({
        where: { id: req.organisationId as string },
        select: { settings: true },
      });
      await prisma.organisation.update({
        where: { id: req.organisationId as string },
        data: {
          settings: {
            ...((current.settings as object) ?? {}),
            participation: parsed.data,
          } as object,
        },
      });
      return parsed.data;
    });
  });
}
