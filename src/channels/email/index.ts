// The email channel: copies of appointment messages by SMTP (nodemailer), each with a
// greeting, a human contact and a one-click unsubscribe link (RFC 8058), and the routes
// that record the opt-out. Sending only: email replies are not read, so every copy says
// where to answer. Consent is per email identity, as on the other channels.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { contactLine } from '../../conversations/texts.js';
import { anonymityKey } from '../../participation/anonymity.js';
import type { ChannelSender, SendLane, SendResult } from '../channel.js';
import { defaultCapabilities } from '../channel.js';
import type { ChannelContext, ChannelModule } from '../module.js';
import { composeEmail, escapeHtml } from './compose.js';
import { createEmailTransport, type EmailTransport, smtpFailure } from './transport.js';
import { linkKey, readToken, recordOptOut, unsubscribeToken } from './unsubscribe.js';

export { emailConfigured } from './transport.js';

export interface EmailChannelOptions {
  /** A transport of the caller's (tests); otherwise one is built from SMTP_*. */
  transport?: EmailTransport;
}

export interface EmailChannel extends ChannelModule {
  /** The unsubscribe link of an email identity (for tests and the docs). */
  unsubscribeUrl(identityId: string): string;
}

/** "Département 79 <rdv@cd79.fr>" from SMTP_FROM, named after the organisation if bare. */
function fromHeader(from: string, organisationName: string): { name?: string; address: string } {
  const named = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(from);
  if (named?.[2]) return { name: named[1]?.trim() || organisationName, address: named[2].trim() };
  return { name: organisationName, address: from.trim() };
}

export function emailChannel(ctx: ChannelContext, options: EmailChannelOptions = {}): EmailChannel {
  const { config, prisma, logger, i18n } = ctx;
  const transport = options.transport ?? createEmailTransport(config);
  const key = linkKey(anonymityKey(config.ANONYMITY_KEY, config.DATA_DIR));
  const base = (config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`).replace(/\/+$/, '');
  const from = config.SMTP_FROM as string;
  const domain = from.replace(/^.*@/, '').replace(/>.*$/, '').trim() || 'relais.invalid';
  const unsubscribeUrl = (identityId: string) =>
    `${base}/email/unsubscribe/${unsubscribeToken(key, identityId)}`;

  const sender: ChannelSender = {
    id: 'email',
    capabilities: defaultCapabilities.email,
    lane(): SendLane {
      return { key: 'email', perSecond: config.SMTP_RATE_PER_SECOND };
    },
    async send(message): Promise<SendResult> {
      const identity = await prisma.channelIdentity.findUnique({
        where: {
          organisationId_channel_address: {
            organisationId: message.organisationId,
            channel: 'email',
            address: message.address,
          },
        },
        include: {
          person: { include: { territory: true } },
          organisation: { select: { name: true } },
        },
      });
      if (!identity) return { ok: false, kind: 'permanent', reason: 'no such email address' };
      const lang = identity.person.language;
      const t = i18n.getFixedT(lang, 'email');
      const url = unsubscribeUrl(identity.id);
      const mail = composeEmail(t, {
        name: identity.person.displayName,
        body: message.text,
        contact: contactLine(identity.person.territory),
        unsubscribeUrl: url,
        lang,
      });
      try {
        const info = await transport.sendMail({
          from: fromHeader(from, identity.organisation.name),
          to: message.address,
          subject:
            message.subject ??
            (t('subject.default', { org: identity.organisation.name }) as string),
          text: mail.text,
          html: mail.html,
          // The same id on a resend: receiving servers and clients can tell it is one mail.
          messageId: `<${message.id}@${domain}>`,
          headers: {
            'List-Unsubscribe': `<${url}>`,
            'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
            // No out-of-office answers to an address nobody reads.
            'Auto-Submitted': 'auto-generated',
          },
        });
        if (info.rejected?.length) {
          return { ok: false, kind: 'permanent', reason: 'SMTP: the address was refused' };
        }
        return { ok: true, providerId: `smtp:${message.id}`, parts: 1 };
      } catch (error) {
        return smtpFailure(error);
      }
    },
  };

  const page = (lang: string, title: string, body: string) =>
    `<!doctype html><html lang="${escapeHtml(lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em;line-height:1.5">${body}</body></html>`;

  const identityOf = async (token: string) => {
    const id = readToken(key, token);
    if (!id) return undefined;
    return prisma.channelIdentity.findUnique({
      where: { id },
      include: { person: { select: { language: true } }, organisation: { select: { name: true } } },
    });
  };

  const invalid = (reply: FastifyReply) => {
    const t = i18n.getFixedT('fr', 'email');
    return reply
      .code(404)
      .type('text/html; charset=utf-8')
      .send(
        page('fr', t('page.title', { org: 'Relais' }), `<p>${escapeHtml(t('page.invalid'))}</p>`),
      );
  };

  return {
    id: 'email',
    sender,
    unsubscribeUrl,
    routes(server: FastifyInstance) {
      server.register(async (routes) => {
        // Mail clients post "List-Unsubscribe=One-Click" as a form (RFC 8058): the token in
        // the path is all that matters, the body is read and set aside.
        for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data']) {
          routes.addContentTypeParser(type, { parseAs: 'string' }, (_req, _body, done) =>
            done(null, {}),
          );
        }
        // The footer link opens a page with a button: a link scanner following it does
        // not unsubscribe anybody; the button and mail clients POST.
        routes.get<{ Params: { token: string } }>(
          '/email/unsubscribe/:token',
          async (req: FastifyRequest<{ Params: { token: string } }>, reply) => {
            const identity = await identityOf(req.params.token);
            if (identity?.channel !== 'email') return invalid(reply);
            const lang = identity.person.language;
            const t = i18n.getFixedT(lang, 'email');
            const org = identity.organisation.name;
            const body = identity.optedOutAt
              ? `<p>${escapeHtml(t('page.done'))}</p>`
              : `<p>${escapeHtml(t('page.confirm', { org }))}</p><form method="post"><button type="submit" style="font-size:1.1em;padding:.5em 1em">${escapeHtml(t('page.button'))}</button></form>`;
            return reply
              .type('text/html; charset=utf-8')
              .header('cache-control', 'no-store')
              .send(page(lang, t('page.title', { org }), body));
          },
        );
        routes.post<{ Params: { token: string } }>(
          '/email/unsubscribe/:token',
          async (req: FastifyRequest<{ Params: { token: string } }>, reply) => {
            const id = readToken(key, req.params.token);
            const done = id ? await recordOptOut(prisma, id, ctx.clock()) : undefined;
            if (!done) return invalid(reply);
            if (done.changed) logger.info({ identityId: done.identityId }, 'email unsubscribed');
            const t = i18n.getFixedT(done.language, 'email');
            const org = await prisma.organisation.findUnique({
              where: { id: done.organisationId },
              select: { name: true },
            });
            return reply
              .type('text/html; charset=utf-8')
              .header('cache-control', 'no-store')
              .send(
                page(
                  done.language,
                  t('page.title', { org: org?.name ?? '' }),
                  `<p>${escapeHtml(t('page.done'))}</p>`,
                ),
              );
          },
        );
      });
    },
    async stop() {
      transport.close();
    },
  };
}
