// The local web chat: a page where anyone on this machine can pick a demo person and a
// flow and go through it, exactly as the engine would on a messaging app. It is a real
// channel (identities, outbox, dispatcher), only its transport is the database.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { fromThisMachine } from '../../http/client.js';
import { type OutboxPayload, REDACTED_PAYLOAD } from '../../messaging/outbox.js';
import type { ChannelContext, ChannelModule } from '../module.js';
import { webSender } from './sender.js';

const page = readFileSync(new URL('./chat.html', import.meta.url), 'utf8');

const startBody = z.object({ identityId: z.uuid(), flowId: z.string().min(1) });
const sendBody = z
  .object({
    identityId: z.uuid(),
    text: z.string().max(2000).optional(),
    buttonData: z.string().max(64).optional(),
    /** Chosen by the page; a retried POST is recognised by it. */
    clientMessageId: z.string().min(8).max(64).optional(),
  })
  .refine((b) => b.text?.trim() || b.buttonData, { error: 'text or buttonData is required' });

export function webChannel(ctx: ChannelContext): ChannelModule {
  const { prisma, conversations, config } = ctx;
  const guard = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!config.WEB_CHAT_ALLOW_REMOTE && !fromThisMachine(req, config.TRUST_PROXY)) {
      return reply
        .code(403)
        .send({ error: 'the web chat only answers on this machine (WEB_CHAT_ALLOW_REMOTE=false)' });
    }
  };
  const badRequest = (reply: FastifyReply, error: z.ZodError) =>
    reply.code(400).send({
      error: 'invalid request',
      problems: error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`),
    });

  return {
    id: 'web',
    sender: webSender,
    routes(server: FastifyInstance) {
      if (!config.WEB_CHAT) return;
      server.register(async (chat) => {
        chat.addHook('onRequest', guard);
        chat.get('/chat', async (_req, reply) => reply.type('text/html; charset=utf-8').send(page));
        chat.get('/chat/api/people', async () => {
          const identities = await prisma.channelIdentity.findMany({
            where: { channel: 'web' },
            include: { person: { include: { territory: true } }, organisation: true },
            orderBy: [{ organisationId: 'asc' }, { address: 'asc' }],
          });
          return identities.map((i) => ({
            identityId: i.id,
            name: i.person.displayName,
            roles: i.person.roles,
            language: i.person.language,
            organisation: i.organisation.name,
            territory: i.person.territory?.name ?? null,
          }));
        });
        chat.get('/chat/api/flows', async () =>
          conversations.flows
            .list()
            .map((f) => ({ id: f.id, version: f.version, title: f.title, kind: f.kind })),
        );
        chat.post('/chat/api/start', async (req, reply) => {
          const body = startBody.safeParse(req.body);
          if (!body.success) return badRequest(reply, body.error);
          const identity = await prisma.channelIdentity.findUnique({
            where: { id: body.data.identityId },
          });
          if (identity?.channel !== 'web')
            return reply.code(404).send({ error: 'no such web identity' });
          if (!conversations.flows.current(body.data.flowId)) {
            return reply.code(404).send({ error: `no flow ${body.data.flowId}` });
          }
          // One conversation at a time, as on a phone: a new start leaves the old run.
          const active = await prisma.flowRun.findMany({
            where: { personId: identity.personId, status: 'active' },
          });
          for (const run of active) {
            await prisma.$transaction((tx) =>
              conversations.stepRun(tx, run.id, { type: 'leave' }, `web:leave:${randomUUID()}`),
            );
          }
          const run = await conversations.startRun({
            personId: identity.personId,
            identityId: identity.id,
            flowId: body.data.flowId,
            cause: `web:start:${randomUUID()}`,
          });
          return reply.code(201).send({ runId: run.id });
        });
        chat.post('/chat/api/messages', async (req, reply) => {
          const body = sendBody.safeParse(req.body);
          if (!body.success) return badRequest(reply, body.error);
          const identity = await prisma.channelIdentity.findUnique({
            where: { id: body.data.identityId },
          });
          if (identity?.channel !== 'web')
            return reply.code(404).send({ error: 'no such web identity' });
          const outcome = await conversations.handleInbound({
            channel: 'web',
            address: identity.address,
            organisationId: identity.organisationId,
            text: body.data.text,
            buttonData: body.data.buttonData,
            providerMessageId: body.data.clientMessageId ?? randomUUID(),
            receivedAt: ctx.clock(),
          });
          return { outcome };
        });
        chat.get('/chat/api/messages', async (req, reply) => {
          const query = z
            .object({ identityId: z.uuid(), after: z.iso.datetime().optional() })
            .safeParse(req.query);
          if (!query.success) return badRequest(reply, query.error);
          const messages = await prisma.message.findMany({
            where: {
              identityId: query.data.identityId,
              ...(query.data.after ? { createdAt: { gt: new Date(query.data.after) } } : {}),
            },
            orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
            take: 200,
          });
          // Reading is this channel's delivery: a message of an anonymous questionnaire is
          // blanked once the page has it (the page keeps showing it, the database does not).
          const read = messages.filter(
            (m) => (m.payload as OutboxPayload | null)?.redact === 'read',
          );
          if (read.length) {
            await prisma.message.updateMany({
              where: { id: { in: read.map((m) => m.id) } },
              data: { body: '', payload: REDACTED_PAYLOAD },
            });
          }
          return messages.map((m) => ({
            id: m.id,
            direction: m.direction,
            status: m.status,
            text: m.body,
            buttons: (m.payload as OutboxPayload | null)?.buttons ?? [],
            // The page's own id of what the person typed: it shows its copy of an answer
            // the database no longer keeps.
            ...(m.direction === 'inbound' ? { ref: m.idempotencyKey.replace(/^in:web:/, '') } : {}),
            redacted: (m.payload as OutboxPayload | null)?.redacted === true,
            createdAt: m.createdAt.toISOString(),
          }));
        });
      });
    },
  };
}
