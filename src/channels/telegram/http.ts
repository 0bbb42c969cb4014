// The Telegram part of the HTTP API (bearer token of an organisation, see docs/telegram.md):
//   POST /api/telegram/links          an onboarding link for a person (t.me/<bot>?start=<code>)
//   GET  /api/telegram/voice/:fileId  a voice note a person sent, for a facilitator to listen to
import type { FastifyInstance } from 'fastify';
import type { Bot } from 'grammy';
import { z } from 'zod';
import { requireToken } from '../../http/auth.js';
import type { ChannelContext } from '../module.js';
import { createLinkCode, DEFAULT_LINK_DAYS, MAX_LINK_DAYS, telegramLink } from './link-codes.js';

const linkBody = z.object({
  person: z.string().min(1, { error: "the person's id or external reference" }),
  validDays: z
    .int()
    .min(1)
    .max(MAX_LINK_DAYS, { error: `at most ${MAX_LINK_DAYS} days` })
    .optional(),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function linkRoutes(
  server: FastifyInstance,
  deps: ChannelContext & { bot: Bot; username: () => string | undefined },
): void {
  const { prisma, clock, config, bot } = deps;
  server.register(async (api) => {
    api.addHook('preHandler', requireToken(prisma));

    api.post('/api/telegram/links', async (req, reply) => {
      const body = linkBody.safeParse(req.body);
      if (!body.success) {
        return reply.code(400).send({
          error: 'invalid request',
          problems: body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`),
        });
      }
      const organisationId = req.organisationId as string;
      const person = await prisma.person.findFirst({
        where: {
          organisationId,
          OR: [
            { externalRef: body.data.person },
            ...(UUID.test(body.data.person) ? [{ id: body.data.person }] : []),
          ],
        },
      });
      if (!person) return reply.code(404).send({ error: 'no such person in this organisation' });
      const username = deps.username();
      if (!username) {
        return reply.code(503).send({ error: 'the bot has not reached Telegram yet; try again' });
      }
      const { code, expiresAt } = await createLinkCode(prisma, {
        organisationId,
        personId: person.id,
        validDays: body.data.validDays ?? DEFAULT_LINK_DAYS,
        now: clock(),
      });
      return reply.code(201).send({
        person: { id: person.id, externalRef: person.externalRef },
        link: telegramLink(username, code),
        code,
        expiresAt: expiresAt.toISOString(),
      });
    });

    api.get<{ Params: { fileId: string } }>('/api/telegram/voice/:fileId', async (req, reply) => {
      const { fileId } = req.params;
      // Only a voice note somebody of this organisation sent can be fetched.
      const sent = await prisma.message.findFirst({
        where: {
          organisationId: req.organisationId as string,
          channel: 'telegram',
          direction: 'inbound',
          payload: { path: ['voiceRef'], equals: fileId },
        },
        select: { id: true },
      });
      if (!sent) return reply.code(404).send({ error: 'no such voice note in this organisation' });
      const file = await bot.api.getFile(fileId);
      if (!file.file_path)
        return reply.code(404).send({ error: 'Telegram no longer has this file' });
      const root = config.TELEGRAM_API_ROOT.replace(/\/+$/, '');
      const res = await fetch(`${root}/file/bot${config.TELEGRAM_BOT_TOKEN}/${file.file_path}`);
      if (!res.ok) return reply.code(502).send({ error: `Telegram answered ${res.status}` });
      return reply
        .type(res.headers.get('content-type') ?? 'audio/ogg')
        .header('cache-control', 'private, no-store')
        .send(Buffer.from(await res.arrayBuffer()));
    });
  });
}
