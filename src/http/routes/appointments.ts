// HTTP API of sessions, rendez-vous, imports, invitations, attendance, follow-ups and
// rights and duties, for agents' tools (see docs/api.md). CSV bodies are sent as they
// are (text/csv): UTF-8 with or without BOM, or Windows-1252; ";" or ",".
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CsvError, cell, readCsv } from '../../appointments/csv.js';
import { parseLocalDate } from '../../appointments/dates.js';
import {
  checksumOf,
  ImportError,
  Importer,
  PEOPLE_JSON_FIELDS,
  rowsFromJson,
  SESSION_JSON_FIELDS,
} from '../../appointments/import.js';
import { rightsCases } from '../../appointments/rights.js';
import { NOT_OFFERED, seatsTaken } from '../../appointments/seats.js';
import {
  AppointmentError,
  type AppointmentService,
  type CaseRequest,
  INDIVIDUAL_NOT_INVITED,
} from '../../appointments/service.js';
import { APPOINTMENT_KINDS, appointmentSettingsSchema } from '../../appointments/settings.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { toCsv } from '../../participation/csv.js';
import { requireToken } from '../auth.js';

const CSV_TYPES = ['text/csv', 'application/csv', 'text/plain', 'application/octet-stream'];
const CSV_LIMIT = 50 * 1024 * 1024;

const kind = z.enum(APPOINTMENT_KINDS);
const when = z.union([
  z.iso.datetime({ offset: true }),
  z.string().regex(/^\d{1,2}\/\d{1,2}\/\d{4}/),
]);

const sessionJson = z.object({
  ref: z.string().min(1).max(64).optional(),
  kind: kind.optional(),
  title: z.string().max(120).optional(),
  startsAt: when,
  endsAt: when.optional(),
  durationMinutes: z.int().min(1).max(1440).optional(),
  place: z.string().max(120).optional(),
  address: z.string().max(200).optional(),
  capacity: z.int().min(1).max(10_000).optional(),
  territory: z.string().optional(),
  organiser: z.string().max(60).optional(),
  referent: z.string().optional(),
  byPhone: z.boolean().optional(),
});

const personJson = z.object({
  ref: z.string().min(1).max(64),
  firstName: z.string().min(1).max(64),
  phone: z.string().min(1).max(40),
  email: z.string().max(254).optional(),
  birthYear: z.union([z.int(), z.string()]).optional(),
  orientedAt: z.string().optional(),
  territory: z.string().optional(),
  language: z.string().optional(),
  referent: z.string().optional(),
  mode: z.enum(['convocation', 'invitation']).optional(),
  session: z.string().optional(),
  sessionDate: z.string().optional(),
  place: z.string().optional(),
  address: z.string().optional(),
  kind: z.string().optional(),
});

const seriesJson = z.object({
  ref: z.string().min(1).max(48),
  kind: kind.default('individual'),
  title: z.string().max(120).optional(),
  start: z.iso.datetime({ offset: true }),
  durationMinutes: z.int().min(5).max(600).default(60),
  phases: z
    .array(z.object({ everyDays: z.int().min(1).max(90), count: z.int().min(1).max(52) }))
    .min(1)
    .max(5),
  place: z.string().max(120).optional(),
  address: z.string().max(200).optional(),
  byPhone: z.boolean().optional(),
  capacity: z.int().min(1).max(10_000).optional(),
  territory: z.string().optional(),
  organiser: z.string().max(60).optional(),
  referent: z.string().optional(),
  /** A person convoked to every session of the series (individual follow-up). */
  person: z.string().optional(),
});

const changeJson = z
  .object({
    startsAt: z.iso.datetime({ offset: true }).optional(),
    endsAt: z.iso.datetime({ offset: true }).nullable().optional(),
    place: z.string().max(120).nullable().optional(),
    address: z.string().max(200).nullable().optional(),
    capacity: z.int().min(1).max(10_000).nullable().optional(),
    title: z.string().min(1).max(120).optional(),
    status: z.enum(['cancelled']).optional(),
  })
  .refine((c) => Object.keys(c).length > 0, { error: 'nothing to change' });

const attendanceState = z.enum(['present', 'absent', 'excused']);
const attendanceJson = z.object({
  attendance: z
    .array(z.object({ person: z.string().min(1), state: attendanceState }))
    .min(1)
    .max(10_000),
});

const invitationsJson = z.object({
  people: z.array(z.string().min(1)).min(1).max(10_000),
  mode: z.enum(['convocation', 'invitation']),
  /** The session of a convocation: its reference or id. */
  appointment: z.string().optional(),
  /** The kind of session to choose among (invitation); default rio. */
  kind: kind.default('rio'),
});

const personPatch = z
  .object({
    remindersPaused: z.boolean().optional(),
    orientedAt: z.string().optional(),
    /** Rights and duties told in person (or by letter): recorded now. */
    rightsInformed: z.literal(true).optional(),
  })
  .refine((c) => Object.keys(c).length > 0, { error: 'nothing to change' });

const PRESENCE: Record<string, 'present' | 'absent' | 'excused'> = {
  present: 'present',
  presente: 'present',
  p: 'present',
  oui: 'present',
  o: 'present',
  x: 'present',
  '1': 'present',
  absent: 'absent',
  absente: 'absent',
  a: 'absent',
  non: 'absent',
  n: 'absent',
  '0': 'absent',
  excuse: 'excused',
  excusee: 'excused',
  excused: 'excused',
  e: 'excused',
};

function invalid(reply: FastifyReply, error: z.ZodError) {
  return reply.code(400).send({
    error: 'invalid request',
    problems: error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`),
  });
}

function csvBody(req: FastifyRequest): Buffer | undefined {
  return Buffer.isBuffer(req.body) ? req.body : undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const byRefOrId = (ref: string) =>
  UUID.test(ref) ? { OR: [{ id: ref }, { externalRef: ref }] } : { externalRef: ref };

export function appointmentRoutes(app: FastifyInstance, service: AppointmentService): void {
  const { prisma } = service;
  const importer = new Importer(service);

  app.register(async (api) => {
    api.addHook('preHandler', requireToken(prisma));
    api.addContentTypeParser(
      CSV_TYPES,
      { parseAs: 'buffer', bodyLimit: CSV_LIMIT },
      (_req, body, done) => done(null, body),
    );
    api.setErrorHandler((error, _req, reply) => {
      if (error instanceof AppointmentError || error instanceof ImportError) {
        return reply.code(error.status).send({
          error: error.message,
          ...('problems' in error && error.problems ? { problems: error.problems } : {}),
        });
      }
      if (error instanceof CsvError) return reply.code(400).send({ error: error.message });
      return reply.send(error);
    });
    const org = (req: FastifyRequest) => req.organisationId as string;

    // --- Sessions -------------------------------------------------------------------

    api.post('/api/appointments', { bodyLimit: CSV_LIMIT }, async (req, reply) => {
      const body = z
        .object({ appointments: z.array(sessionJson).min(1).max(10_000) })
        .safeParse(req.body);
      if (!body.success) return invalid(reply, body.error);
      const table = rowsFromJson(body.data.appointments, SESSION_JSON_FIELDS);
      const report = await importer.importSessions(
        org(req),
        table,
        checksumOf(JSON.stringify(req.body)),
      );
      return reply.code(report.duplicate ? 200 : 201).send(report);
    });

    api.post('/api/appointments/import', { bodyLimit: CSV_LIMIT }, async (req, reply) => {
      const bytes = csvBody(req);
      if (!bytes) return reply.code(415).send({ error: 'send the CSV file as text/csv' });
      const report = await importer.importSessions(org(req), readCsv(bytes), checksumOf(bytes));
      return reply.code(report.duplicate ? 200 : 201).send(report);
    });

    api.post('/api/appointments/series', async (req, reply) => {
      const body = seriesJson.safeParse(req.body);
      if (!body.success) return invalid(reply, body.error);
      const s = body.data;
      const dates: Date[] = [];
      let at = new Date(s.start).getTime();
      for (const phase of s.phases) {
        for (let i = 0; i < phase.count; i++) {
          if (dates.length) at += phase.everyDays * 86_400_000;
          dates.push(new Date(at));
        }
      }
      // Every session of the series keeps the local time of the first (DST included).
      const orgCtx = await service.organisation(prisma, org(req));
      const first = parseLocalDate(s.start, orgCtx.timezone);
      const local = new Intl.DateTimeFormat('en-GB', {
        timeZone: orgCtx.timezone,
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(first.ok ? first.at : new Date(s.start));
      const items = dates.map((d, i) => {
        const day = new Intl.DateTimeFormat('en-CA', { timeZone: orgCtx.timezone }).format(d);
        return {
          ref: `${s.ref}-${String(i + 1).padStart(2, '0')}`,
          kind: s.kind,
          title: s.title,
          startsAt: `${day.split('-').reverse().join('/')} ${local}`,
          durationMinutes: s.durationMinutes,
          place: s.place,
          address: s.address,
          byPhone: s.byPhone,
          capacity: s.capacity,
          territory: s.territory,
          organiser: s.organiser,
          referent: s.referent,
        };
      });
      const table = rowsFromJson(items, SESSION_JSON_FIELDS);
      const report = await importer.importSessions(
        org(req),
        table,
        checksumOf(`series:${JSON.stringify(req.body)}`),
      );
      if (report.invalid.length) {
        return reply
          .code(400)
          .send({ error: 'invalid series', problems: report.invalid.map((i) => i.reason) });
      }
      const sessions = await prisma.appointment.findMany({
        where: { organisationId: org(req), externalRef: { in: items.map((i) => i.ref) } },
        orderBy: { startsAt: 'asc' },
      });
      await prisma.appointment.updateMany({
        where: { id: { in: sessions.map((a) => a.id) }, seriesId: null },
        data: { seriesId: s.ref },
      });
      let convoked = 0;
      if (s.person) {
        const person = await prisma.person.findFirst({
          where: { organisationId: org(req), ...byRefOrId(s.person) },
        });
        if (!person) return reply.code(404).send({ error: `no person "${s.person}"` });
        const cases = await service.transaction(async (tx) =>
          service.createCases(
            tx,
            orgCtx,
            sessions.map((a) => ({
              person,
              kind: a.kind,
              mode: 'convocation' as const,
              appointmentId: a.id,
            })),
            service.now(),
          ),
        );
        convoked = cases.convoked;
      }
      return reply.code(201).send({
        series: s.ref,
        sessions: sessions.map((a) => ({
          id: a.id,
          ref: a.externalRef,
          startsAt: a.startsAt.toISOString(),
        })),
        convoked,
      });
    });

    api.get<{ Querystring: { from?: string; to?: string; kind?: string; territory?: string } }>(
      '/api/appointments',
      async (req, reply) => {
        const q = z
          .object({
            from: z.iso.datetime({ offset: true }).optional(),
            to: z.iso.datetime({ offset: true }).optional(),
            kind: kind.optional(),
            territory: z.string().optional(),
          })
          .safeParse(req.query);
        if (!q.success) return invalid(reply, q.error);
        const where: Prisma.AppointmentWhereInput = {
          organisationId: org(req),
          startsAt: {
            ...(q.data.from ? { gte: new Date(q.data.from) } : {}),
            ...(q.data.to ? { lt: new Date(q.data.to) } : {}),
          },
          ...(q.data.kind ? { kind: q.data.kind } : {}),
          ...(q.data.territory ? { territory: { code: q.data.territory } } : {}),
        };
        const rows = await prisma.appointment.findMany({
          where,
          include: { territory: { select: { code: true } } },
          orderBy: { startsAt: 'asc' },
          take: 2000,
        });
        const taken = await seatsTaken(
          prisma,
          rows.map((r) => r.id),
        );
        return rows.map((a) => ({
          id: a.id,
          ref: a.externalRef,
          kind: a.kind,
          title: a.title,
          startsAt: a.startsAt.toISOString(),
          endsAt: a.endsAt?.toISOString() ?? null,
          place: a.place,
          address: a.address,
          byPhone: a.byPhone,
          capacity: a.capacity,
          seatsTaken: taken.get(a.id) ?? 0,
          territory: a.territory?.code ?? null,
          organiser: a.organiserName,
          series: a.seriesId,
          status: a.status,
          version: a.version,
        }));
      },
    );

    api.get<{ Params: { id: string } }>('/api/appointments/:id', async (req, reply) => {
      const a = await prisma.appointment.findFirst({
        where: { organisationId: org(req), ...byRefOrId(req.params.id) },
        include: {
          territory: { select: { code: true } },
          participations: {
            include: { person: { select: { id: true, externalRef: true, displayName: true } } },
            orderBy: { createdAt: 'asc' },
          },
        },
      });
      if (!a) return reply.code(404).send({ error: 'no such appointment' });
      return {
        id: a.id,
        ref: a.externalRef,
        kind: a.kind,
        title: a.title,
        startsAt: a.startsAt.toISOString(),
        endsAt: a.endsAt?.toISOString() ?? null,
        place: a.place,
        address: a.address,
        byPhone: a.byPhone,
        capacity: a.capacity,
        territory: a.territory?.code ?? null,
        organiser: a.organiserName,
        status: a.status,
        version: a.version,
        participants: a.participations.map((p) => ({
          person: p.person.id,
          ref: p.person.externalRef,
          name: p.person.displayName,
          mode: p.mode,
          state: p.state,
          confirmedAt: p.confirmedAt?.toISOString() ?? null,
          respondedAt: p.respondedAt?.toISOString() ?? null,
          attendanceAt: p.attendanceAt?.toISOString() ?? null,
        })),
      };
    });

    api.patch<{ Params: { id: string } }>('/api/appointments/:id', async (req, reply) => {
      const body = changeJson.safeParse(req.body);
      if (!body.success) return invalid(reply, body.error);
      const found = await prisma.appointment.findFirst({
        where: { organisationId: org(req), ...byRefOrId(req.params.id) },
        select: { id: true },
      });
      if (!found) return reply.code(404).send({ error: 'no such appointment' });
      const c = body.data;
      const { appointment, told } = await service.changeSession(org(req), found.id, {
        ...(c.startsAt ? { startsAt: new Date(c.startsAt) } : {}),
        ...(c.endsAt !== undefined ? { endsAt: c.endsAt ? new Date(c.endsAt) : null } : {}),
        ...(c.place !== undefined ? { place: c.place } : {}),
        ...(c.address !== undefined ? { address: c.address } : {}),
        ...(c.capacity !== undefined ? { capacity: c.capacity } : {}),
        ...(c.title ? { title: c.title } : {}),
        ...(c.status === 'cancelled' ? { cancel: true } : {}),
      });
      return {
        id: appointment.id,
        status: appointment.status,
        startsAt: appointment.startsAt.toISOString(),
        version: appointment.version,
        told,
      };
    });

    api.post<{ Params: { id: string } }>(
      '/api/appointments/:id/attendance',
      { bodyLimit: CSV_LIMIT },
      async (req, reply) => {
        const found = await prisma.appointment.findFirst({
          where: { organisationId: org(req), ...byRefOrId(req.params.id) },
          select: { id: true },
        });
        if (!found) return reply.code(404).send({ error: 'no such appointment' });
        let entries: { person: string; state: 'present' | 'absent' | 'excused'; line?: number }[];
        const problems: string[] = [];
        const bytes = csvBody(req);
        if (bytes) {
          const table = readCsv(bytes);
          entries = [];
          for (const row of table.rows) {
            const person = cell(row, [
              'reference',
              'ref',
              'id',
              'identifiant',
              'numero',
              'personne',
            ]);
            const raw = cell(row, ['presence', 'etat', 'state', 'statut', 'present']) ?? '';
            const state =
              PRESENCE[raw.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().trim()];
            if (!person || !state) {
              problems.push(
                `line ${row.line}: ${!person ? 'missing reference' : `unknown presence "${raw}" (présent, absent, excusé)`}`,
              );
              continue;
            }
            entries.push({ person, state, line: row.line });
          }
        } else {
          const body = attendanceJson.safeParse(req.body);
          if (!body.success) return invalid(reply, body.error);
          entries = body.data.attendance;
        }
        const result = await service.markAttendance(org(req), found.id, entries);
        return { updated: result.updated, problems: [...problems, ...result.problems] };
      },
    );

    // --- People, invitations ----------------------------------------------------------

    const importQuery = z.object({
      mode: z.enum(['convocation', 'invitation']).optional(),
      kind: kind.optional(),
    });

    api.post('/api/people/import', { bodyLimit: CSV_LIMIT }, async (req, reply) => {
      const bytes = csvBody(req);
      if (!bytes) return reply.code(415).send({ error: 'send the CSV file as text/csv' });
      const q = importQuery.safeParse(req.query);
      if (!q.success) return invalid(reply, q.error);
      const report = await importer.importPeople(
        org(req),
        readCsv(bytes),
        checksumOf(bytes),
        q.data,
      );
      return reply.code(report.duplicate ? 200 : 201).send(report);
    });

    api.post('/api/people', { bodyLimit: CSV_LIMIT }, async (req, reply) => {
      const body = z
        .object({
          people: z.array(personJson).min(1).max(10_000),
          mode: z.enum(['convocation', 'invitation']).optional(),
          kind: kind.optional(),
        })
        .safeParse(req.body);
      if (!body.success) return invalid(reply, body.error);
      const table = rowsFromJson(body.data.people, PEOPLE_JSON_FIELDS);
      const report = await importer.importPeople(
        org(req),
        table,
        checksumOf(JSON.stringify(req.body)),
        {
          mode: body.data.mode,
          kind: body.data.kind,
        },
      );
      return reply.code(report.duplicate ? 200 : 201).send(report);
    });

    api.patch<{ Params: { ref: string } }>('/api/people/:ref', async (req, reply) => {
      const body = personPatch.safeParse(req.body);
      if (!body.success) return invalid(reply, body.error);
      const person = await prisma.person.findFirst({
        where: { organisationId: org(req), ...byRefOrId(req.params.ref) },
      });
      if (!person) return reply.code(404).send({ error: 'no such person' });
      const orgCtx = await service.organisation(prisma, org(req));
      let orientedAt: Date | undefined;
      if (body.data.orientedAt) {
        const d = parseLocalDate(body.data.orientedAt, orgCtx.timezone);
        if (!d.ok)
          return reply
            .code(400)
            .send({ error: 'invalid request', problems: [`orientedAt: ${d.reason}`] });
        orientedAt = d.at;
      }
      const now = service.now();
      await service.transaction(async (tx) => {
        await tx.person.update({
          where: { id: person.id },
          data: {
            ...(body.data.remindersPaused !== undefined
              ? { remindersPaused: body.data.remindersPaused }
              : {}),
            ...(orientedAt ? { orientedAt } : {}),
          },
        });
        if (orientedAt) {
          await service.recordOrientations(tx, orgCtx, [{ personId: person.id, orientedAt }], now);
        }
        if (body.data.rightsInformed) {
          await tx.rightsInformation.updateMany({
            where: { personId: person.id, informedAt: null },
            data: { informedAt: now, informedBy: 'agent' },
          });
        }
      });
      const fresh = await prisma.person.findUniqueOrThrow({ where: { id: person.id } });
      return {
        id: fresh.id,
        ref: fresh.externalRef,
        remindersPaused: fresh.remindersPaused,
        orientedAt: fresh.orientedAt?.toISOString() ?? null,
      };
    });

    api.post('/api/invitations', { bodyLimit: CSV_LIMIT }, async (req, reply) => {
      const body = invitationsJson.safeParse(req.body);
      if (!body.success) return invalid(reply, body.error);
      const b = body.data;
      if (b.mode === 'invitation' && b.kind === NOT_OFFERED) {
        return reply
          .code(400)
          .send({ error: 'invalid request', problems: [`kind: ${INDIVIDUAL_NOT_INVITED}`] });
      }
      const orgId = org(req);
      let appointmentId: string | undefined;
      if (b.mode === 'convocation') {
        if (!b.appointment) {
          return reply.code(400).send({
            error: 'invalid request',
            problems: ['appointment: the session of a convocation'],
          });
        }
        const a = await prisma.appointment.findFirst({
          where: { organisationId: orgId, ...byRefOrId(b.appointment) },
        });
        if (!a) return reply.code(404).send({ error: `no appointment "${b.appointment}"` });
        appointmentId = a.id;
      }
      const people = await prisma.person.findMany({
        where: {
          organisationId: orgId,
          OR: [
            { externalRef: { in: b.people } },
            { id: { in: b.people.filter((p) => UUID.test(p)) } },
          ],
        },
      });
      const unknown = b.people.filter(
        (p) => !people.some((x) => x.externalRef === p || x.id === p),
      );
      const orgCtx = await service.organisation(prisma, orgId);
      const requests: CaseRequest[] = people.map((person) => ({
        person,
        kind: b.kind,
        mode: b.mode,
        ...(appointmentId ? { appointmentId } : {}),
      }));
      const report = await service.transaction((tx) =>
        service.createCases(tx, orgCtx, requests, service.now()),
      );
      const { fires, ...counts } = report;
      return reply.code(201).send({ ...counts, reminders: fires, unknown });
    });

    // --- Follow-ups for the référent ----------------------------------------------------

    api.get<{ Querystring: { kind?: string; referent?: string; all?: string } }>(
      '/api/follow-ups',
      async (req, reply) => {
        const kinds = ['message', 'call_back', 'no_date', 'no_session'] as const;
        const kind = req.query.kind as (typeof kinds)[number] | undefined;
        if (kind && !kinds.includes(kind)) {
          return reply.code(400).send({
            error: 'invalid request',
            problems: [`kind: one of ${kinds.join(', ')}`],
          });
        }
        const referent = req.query.referent
          ? await prisma.person.findFirst({
              where: { organisationId: org(req), ...byRefOrId(req.query.referent) },
              select: { id: true },
            })
          : undefined;
        const rows = await prisma.followUp.findMany({
          where: {
            organisationId: org(req),
            ...(req.query.all === 'true' ? {} : { doneAt: null }),
            ...(kind ? { kind } : {}),
            ...(req.query.referent
              ? { referentId: referent?.id ?? '00000000-0000-0000-0000-000000000000' }
              : {}),
          },
          include: {
            person: {
              select: {
                id: true,
                externalRef: true,
                displayName: true,
                identities: { select: { channel: true, address: true, optedOutAt: true } },
              },
            },
            referent: { select: { displayName: true } },
          },
          orderBy: { createdAt: 'asc' },
          take: 1000,
        });
        const messageIds = rows.flatMap((r) => (r.messageId ? [r.messageId] : []));
        const messages = new Map(
          (
            await prisma.message.findMany({
              where: { id: { in: messageIds } },
              select: { id: true, body: true, channel: true, createdAt: true, payload: true },
            })
          ).map((m) => [m.id, m]),
        );
        return rows.map((r) => {
          const m = r.messageId ? messages.get(r.messageId) : undefined;
          const phone = r.person.identities.find((i) => i.channel === 'sms' && !i.optedOutAt);
          return {
            id: r.id,
            kind: r.kind,
            createdAt: r.createdAt.toISOString(),
            done: r.doneAt !== null,
            person: { id: r.person.id, ref: r.person.externalRef, name: r.person.displayName },
            phone: r.kind === 'call_back' ? (phone?.address ?? null) : undefined,
            referent: r.referent?.displayName ?? null,
            invitation: r.invitationId,
            appointment: r.appointmentId,
            message: m
              ? {
                  text: m.body,
                  channel: m.channel,
                  at: m.createdAt.toISOString(),
                  voice: Boolean((m.payload as { voiceRef?: string } | null)?.voiceRef),
                }
              : undefined,
          };
        });
      },
    );

    api.post<{ Params: { id: string } }>('/api/follow-ups/:id/done', async (req, reply) => {
      if (!UUID.test(req.params.id)) return reply.code(404).send({ error: 'no such follow-up' });
      const { count } = await prisma.followUp.updateMany({
        where: { id: req.params.id, organisationId: org(req), doneAt: null },
        data: { doneAt: service.now() },
      });
      if (!count) {
        const exists = await prisma.followUp.count({
          where: { id: req.params.id, organisationId: org(req) },
        });
        if (!exists) return reply.code(404).send({ error: 'no such follow-up' });
      }
      return { id: req.params.id, done: true };
    });

    // --- Rights and duties ------------------------------------------------------------

    api.get<{ Querystring: { followUp?: string; format?: string } }>(
      '/api/rights-and-duties',
      async (req, reply) => {
        const orgCtx = await service.organisation(prisma, org(req));
        const cases = (await rightsCases(prisma, orgCtx, service.now())).filter(
          (c) => req.query.followUp !== 'true' || c.toFollowUp,
        );
        const rows = cases.map((c) => ({
          person: c.personId,
          ref: c.ref,
          name: c.name,
          orientedAt: c.orientedAt.toISOString(),
          deadline: c.deadline.toISOString(),
          status: c.status,
          informedAt: c.informedAt?.toISOString() ?? null,
          informedBy: c.informedBy,
          toFollowUp: c.toFollowUp,
          reason: c.reason,
        }));
        if (req.query.format === 'csv') {
          return reply
            .type('text/csv; charset=utf-8')
            .send(
              toCsv([
                [
                  'référence',
                  'prénom',
                  'orientation',
                  'échéance',
                  'état',
                  'informé le',
                  'par',
                  'à suivre',
                  'raison',
                ],
                ...rows.map((r) => [
                  r.ref,
                  r.name,
                  r.orientedAt.slice(0, 10),
                  r.deadline.slice(0, 10),
                  r.status,
                  r.informedAt?.slice(0, 10),
                  r.informedBy,
                  r.toFollowUp ? 'oui' : 'non',
                  r.reason,
                ]),
              ]),
            );
        }
        return rows;
      },
    );

    // --- Settings -----------------------------------------------------------------------

    api.get(
      '/api/settings/appointments',
      async (req) => (await service.organisation(prisma, org(req))).settings,
    );

    api.put('/api/settings/appointments', async (req, reply) => {
      const parsed = appointmentSettingsSchema.safeParse(req.body ?? {});
      if (!parsed.success) return invalid(reply, parsed.error);
      const current = await prisma.organisation.findUniqueOrThrow({
        where: { id: org(req) },
        select: { settings: true },
      });
      await prisma.organisation.update({
        where: { id: org(req) },
        data: {
          settings: {
            ...((current.settings as object) ?? {}),
            appointments: parsed.data,
          } as object,
        },
      });
      return parsed.data;
    });
  });
}
