// What an update from Telegram does. Private chats only: a group gets one short refusal
// and the bot leaves, with nothing stored. In a private chat:
//   /start <code>   binds the chat to the person the code was made for (link-codes.ts)
//   /start          joins without a code: the onboarding flow (consent, language, territory)
//   /stop, /aide    the STOP and AIDE keywords of the conversation layer
//   /langue         language buttons (fr, en, Français facile)
//   buttons         flow answers (f:...), and this channel's own (l: language, t: territory,
//                   o: organisation of a newcomer)
//   text, voice     answers to the current question (a voice note is kept by reference)
// Flow answers and keywords go through ConversationService.handleInbound, which dedupes
// them on "<bot id>:<update id>"; this channel's own actions store that key the same way
// (an inbound Message row) before acting, so a redelivered update changes nothing.
import type { Bot, Context } from 'grammy';
import type { Update } from 'grammy/types';
import type { Db } from '../../db/types.js';
import { isUniqueViolation } from '../../db/types.js';
import type { ChannelIdentity, Person, Prisma } from '../../generated/prisma/client.js';
import { languageOf, languagesOf } from '../../i18n/index.js';
import { enqueue } from '../../messaging/outbox.js';
import { type InboundEvent, parseFlowButtonData } from '../channel.js';
import type { ChannelContext } from '../module.js';
import { redeemLinkCode } from './link-codes.js';
import {
  askTerritory,
  LANGUAGE_DATA,
  ONBOARDING_CONTEXT,
  ONBOARDING_FLOW,
  ORGANISATION_DATA,
  setTerritory,
  TERRITORY_DATA,
  telegramTexts,
} from './onboarding.js';
import type { TelegramSender } from './sender.js';

type Tx = Prisma.TransactionClient;

const TX_OPTIONS = { timeout: 30_000, maxWait: 30_000 };

/** The updates Relais asks Telegram for (setWebhook and getUpdates). */
export const ALLOWED_UPDATES = ['message', 'callback_query', 'my_chat_member'] as const;

/** Language buttons of /langue, in every language (each named in its own words). */
export const LANGUAGE_CHOICES = [
  { lang: 'fr', label: 'Français' },
  { lang: 'en', label: 'English' },
  { lang: 'fr-x-falc', label: 'Français facile' },
];

/** The chat an update belongs to, for ordering; updates without a chat share one key. */
export function chatKeyOf(update: Update): string {
  const id =
    update.message?.chat.id ??
    update.callback_query?.message?.chat.id ??
    update.callback_query?.from.id ??
    update.my_chat_member?.chat.id ??
    update.edited_message?.chat.id;
  return id === undefined ? 'none' : String(id);
}

export interface UpdateHandlerDeps extends ChannelContext {
  sender: TelegramSender;
  /** True once for a press the webhook's answer already answered (index.ts). */
  callbackAnswered?: (updateId: number) => boolean;
}

type Reply = { text: string; buttons?: { label: string; data: string }[] };

const noop = () => {};

export function installHandlers(bot: Bot, deps: UpdateHandlerDeps): void {
  const { prisma, conversations, clock, logger, i18n, sender, config } = deps;
  const flowIds = conversations.flows;

  const botName = () => bot.botInfo.username;
  const chatOf = (ctx: Context) => String(ctx.chat?.id);
  // Update ids start again for a new bot (another token) and may jump: the bot's id makes
  // the keys derived from them (inbound rows, replies) unique for good.
  const updateIdOf = (ctx: Context) => `${ctx.me.id}:${ctx.update.update_id}`;
  const strangerTexts = (ctx: Context) => telegramTexts(i18n, ctx.from?.language_code);

  const identityOf = (db: Db, chatId: string) =>
    db.channelIdentity.findFirst({
      where: { channel: 'telegram', address: chatId },
      orderBy: { updatedAt: 'desc' },
    });

  // /start after unblocking the bot: the chat works again, whatever a failed send said.
  const markReachable = (chatId: string) =>
    prisma.channelIdentity.updateMany({
      where: { channel: 'telegram', address: chatId, unreachableAt: { not: null } },
      data: { unreachableAt: null, unreachableReason: null },
    });

  /** The inbound message stored for an update: what this channel's replies answer. */
  const inboundOf = new WeakMap<Context, string>();

  /** Stores the update as an inbound message; false when it was already stored. */
  const claim = async (
    tx: Tx,
    identity: ChannelIdentity,
    ctx: Context,
    body: string,
    now: Date,
  ) => {
    const created = await tx.message.createManyAndReturn({
      select: { id: true },
      data: [
        {
          organisationId: identity.organisationId,
          personId: identity.personId,
          identityId: identity.id,
          direction: 'inbound',
          channel: 'telegram',
          status: 'received',
          body,
          idempotencyKey: `in:telegram:${updateIdOf(ctx)}`,
          createdAt: now,
        },
      ],
      skipDuplicates: true,
    });
    const inbound = created[0]?.id;
    if (inbound) inboundOf.set(ctx, inbound);
    return inbound !== undefined;
  };

  const reply = async (
    tx: Tx,
    identity: ChannelIdentity,
    ctx: Context,
    replies: Reply[],
    now: Date,
  ) => {
    for (const [i, r] of replies.entries()) {
      await enqueue(
        tx,
        {
          organisationId: identity.organisationId,
          personId: identity.personId,
          identityId: identity.id,
          channel: 'telegram',
          text: r.text,
          buttons: r.buttons,
          purpose: 'system',
          // An answer to what they just wrote: it does not wait for quiet hours.
          inReplyTo: inboundOf.get(ctx),
          idempotencyKey: `tg:${updateIdOf(ctx)}:${i}`,
        },
        now,
      );
    }
  };

  /**
   * Runs `work` for a known chat inside a transaction, once per update; strangers get
   * `strangerKey` directly (there is nobody to attach an outbox row to).
   */
  const forKnownChat = async (
    ctx: Context,
    body: string,
    strangerKey: string,
    work: (tx: Tx, identity: ChannelIdentity, person: Person, now: Date) => Promise<void>,
  ) => {
    const chatId = chatOf(ctx);
    const known = await prisma.$transaction(async (tx) => {
      const identity = await identityOf(tx, chatId);
      if (!identity) return false;
      const now = clock();
      if (!(await claim(tx, identity, ctx, body, now))) return true;
      const person = await tx.person.findUniqueOrThrow({ where: { id: identity.personId } });
      await work(tx, identity, person, now);
      return true;
    }, TX_OPTIONS);
    if (!known) await sender.sendDirect(chatId, strangerTexts(ctx)(strangerKey));
  };

  /** Hands a message or a flow button to the conversation layer. */
  const forward = async (
    ctx: Context,
    content: Pick<InboundEvent, 'text' | 'buttonData' | 'voiceRef'>,
    strangerKey = 'hello',
  ) => {
    const chatId = chatOf(ctx);
    // (A chat marked unreachable is cleared by handleInbound: they wrote from it.)
    const outcome = await conversations.handleInbound({
      channel: 'telegram',
      address: chatId,
      ...content,
      providerMessageId: updateIdOf(ctx),
      receivedAt: clock(),
    });
    if (outcome === 'unknown_sender') {
      await sender.sendDirect(chatId, strangerTexts(ctx)(strangerKey));
    }
  };

  const removeKeyboard = async (ctx: Context) => {
    const message = ctx.callbackQuery?.message;
    if (!message) return;
    await ctx.api
      .editMessageReplyMarkup(message.chat.id, message.message_id, {
        reply_markup: { inline_keyboard: [] },
      })
      .catch(noop);
  };

  // --- Joining ---------------------------------------------------------------------

  /** The organisation a newcomer without a code joins, or the list to ask from. */
  const organisationFor = async (): Promise<
    { id: string } | { ask: { id: string; name: string }[] } | undefined
  > => {
    if (config.TELEGRAM_ORGANISATION) {
      const org = await prisma.organisation.findUnique({
        where: { slug: config.TELEGRAM_ORGANISATION },
        select: { id: true },
      });
      if (!org) logger.error('TELEGRAM_ORGANISATION names no organisation of this database');
      return org ?? undefined;
    }
    const orgs = await prisma.organisation.findMany({
      select: { id: true, name: true },
      orderBy: { name: 'asc' },
      take: 9,
    });
    if (orgs.length === 1 && orgs[0]) return { id: orgs[0].id };
    if (orgs.length > 1 && orgs.length < 9) return { ask: orgs };
    logger.warn(
      'a newcomer pressed /start without a code, and TELEGRAM_ORGANISATION does not say which organisation they join',
    );
    return undefined;
  };

  const startOnboarding = (tx: Tx, ctx: Context, personId: string, identityId: string) =>
    conversations.startRun(
      {
        personId,
        identityId,
        flowId: ONBOARDING_FLOW,
        contextType: ONBOARDING_CONTEXT,
        // "reply:<inbound id>": its messages answer the /start, so they do not wait for
        // quiet hours (outbox.ts reads the inbound message from the key).
        cause: inboundOf.has(ctx) ? `reply:${inboundOf.get(ctx)}` : `tg:${updateIdOf(ctx)}`,
      },
      tx,
    );

  const onboardNewcomer = async (ctx: Context, organisationId?: string) => {
    const chatId = chatOf(ctx);
    const t = strangerTexts(ctx);
    const org = organisationId ? { id: organisationId } : await organisationFor();
    if (!org || !flowIds.current(ONBOARDING_FLOW)) {
      await sender.sendDirect(chatId, t('unavailable'));
      return;
    }
    if ('ask' in org) {
      await sender.sendDirect(
        chatId,
        t('organisation.ask'),
        org.ask.map((o) => ({ label: o.name, data: `${ORGANISATION_DATA}${o.id}` })),
      );
      return;
    }
    const exists = await prisma.organisation.count({ where: { id: org.id } });
    if (!exists) return;
    try {
      await prisma.$transaction(async (tx) => {
        const now = clock();
        const existing = await tx.channelIdentity.findUnique({
          where: {
            organisationId_channel_address: {
              organisationId: org.id,
              channel: 'telegram',
              address: chatId,
            },
          },
        });
        if (existing) return; // a second tap, or the same update again
        // Only what the bot needs to talk to them: the first name they show on Telegram.
        const person = await tx.person.create({
          data: {
            organisationId: org.id,
            displayName: ctx.from?.first_name?.slice(0, 64) || 'Telegram',
            roles: ['beneficiary'],
            language: languageOf(ctx.from?.language_code, languagesOf(i18n)),
            createdAt: now,
          },
        });
        const identity = await tx.channelIdentity.create({
          data: {
            organisationId: org.id,
            personId: person.id,
            channel: 'telegram',
            address: chatId,
            preferred: true,
          },
        });
        await claim(tx, identity, ctx, '/start', now);
        await startOnboarding(tx, ctx, person.id, identity.id);
      }, TX_OPTIONS);
    } catch (error) {
      // Two deliveries of the same tap at once: the other one created the person.
      if (!isUniqueViolation(error)) throw error;
    }
  };

  /** /start from a chat Relais knows. */
  const welcomeBack = (ctx: Context) =>
    forKnownChat(ctx, '/start', 'hello', async (tx, identity, person, now) => {
      if (identity.consent !== 'granted') {
        const active = await tx.flowRun.count({
          where: { personId: person.id, status: 'active', contextType: ONBOARDING_CONTEXT },
        });
        if (!active) await startOnboarding(tx, ctx, person.id, identity.id);
        return;
      }
      const t = telegramTexts(i18n, person.language);
      await reply(tx, identity, ctx, [{ text: t('already') }], now);
      if (!person.territoryId) {
        await askTerritory(
          tx,
          i18n,
          person,
          identity,
          `tg:${updateIdOf(ctx)}:territory`,
          now,
          inboundOf.get(ctx),
        );
      }
    });

  /** /start <code>: the link an imported person received. */
  const redeem = async (ctx: Context, code: string) => {
    const chatId = chatOf(ctx);
    const outcome = await prisma.$transaction(async (tx) => {
      const now = clock();
      const result = await redeemLinkCode(tx, code, 'telegram', now);
      if (!result.ok) {
        // The same person opening their link again is simply welcomed back.
        const again =
          result.reason === 'used' && result.link
            ? await tx.channelIdentity.findFirst({
                where: {
                  organisationId: result.link.organisationId,
                  personId: result.link.personId,
                  channel: 'telegram',
                  address: chatId,
                },
              })
            : null;
        return again ? 'known' : 'invalid';
      }
      const { link } = result;
      const person = await tx.person.findUniqueOrThrow({ where: { id: link.personId } });
      const source = 'telegram:link';
      const consent = {
        consent: 'granted' as const,
        consentAt: now,
        consentSource: source,
        optedOutAt: null,
        unreachableAt: null,
        unreachableReason: null,
        preferred: true,
        consentEvents: { create: { action: 'granted' as const, source, at: now } },
      };
      const where = {
        organisationId_channel_address: {
          organisationId: link.organisationId,
          channel: 'telegram' as const,
          address: chatId,
        },
      };
      const previous = await tx.channelIdentity.findUnique({ where });
      if (previous && previous.personId !== person.id) {
        logger.info('a Telegram chat was linked to another person of the organisation');
      }
      const identity = previous
        ? await tx.channelIdentity.update({ where, data: { personId: person.id, ...consent } })
        : await tx.channelIdentity.create({
            data: {
              organisationId: link.organisationId,
              personId: person.id,
              channel: 'telegram',
              address: chatId,
              ...consent,
            },
          });
      // They chose this chat: it becomes the way to reach them, and an older Telegram
      // chat of theirs is no longer written to.
      await tx.channelIdentity.updateMany({
        where: { personId: person.id, id: { not: identity.id }, preferred: true },
        data: { preferred: false },
      });
      await tx.channelIdentity.updateMany({
        where: {
          personId: person.id,
          channel: 'telegram',
          id: { not: identity.id },
          unreachableAt: null,
        },
        data: { unreachableAt: now, unreachableReason: 'replaced by another Telegram chat' },
      });
      await claim(tx, identity, ctx, '/start', now);
      const t = telegramTexts(i18n, person.language);
      await reply(tx, identity, ctx, [{ text: t('linked', { name: person.displayName }) }], now);
      if (!person.territoryId) {
        await askTerritory(
          tx,
          i18n,
          person,
          identity,
          `tg:${updateIdOf(ctx)}:territory`,
          now,
          inboundOf.get(ctx),
        );
      }
      return 'linked';
    }, TX_OPTIONS);
    if (outcome === 'invalid') await sender.sendDirect(chatId, strangerTexts(ctx)('linkInvalid'));
    if (outcome === 'known') await welcomeBack(ctx);
  };

  const onStart = async (ctx: Context) => {
    const code = typeof ctx.match === 'string' ? ctx.match.trim() : '';
    const chatId = chatOf(ctx);
    await markReachable(chatId);
    if (code) return redeem(ctx, code);
    const identity = await identityOf(prisma, chatId);
    if (!identity) return onboardNewcomer(ctx);
    // Someone who sent STOP and comes back: the START keyword opts them in again.
    if (identity.optedOutAt) return forward(ctx, { text: 'START' });
    return welcomeBack(ctx);
  };

  // --- Language and territory ------------------------------------------------------

  const languageButtons = () =>
    LANGUAGE_CHOICES.map((c) => ({ label: c.label, data: `${LANGUAGE_DATA}${c.lang}` }));

  const setLanguage = (ctx: Context, wanted: string) =>
    forKnownChat(ctx, `/langue ${wanted}`, 'hello', async (tx, identity, person, now) => {
      const language = languageOf(wanted, languagesOf(i18n));
      await tx.person.update({ where: { id: person.id }, data: { language } });
      await reply(
        tx,
        identity,
        ctx,
        [{ text: telegramTexts(i18n, language)('language.done') }],
        now,
      );
    });

  const onLanguageCommand = async (ctx: Context) => {
    const wanted = typeof ctx.match === 'string' ? ctx.match.trim() : '';
    if (wanted) return setLanguage(ctx, wanted);
    await forKnownChat(ctx, '/langue', 'hello', async (tx, identity, person, now) => {
      const t = telegramTexts(i18n, person.language);
      await reply(
        tx,
        identity,
        ctx,
        [{ text: t('language.ask'), buttons: languageButtons() }],
        now,
      );
    });
  };

  const chooseTerritory = (ctx: Context, territoryId: string) =>
    forKnownChat(ctx, '[territory]', 'hello', async (tx, identity, person, now) => {
      await setTerritory(
        tx,
        i18n,
        person,
        identity,
        territoryId,
        `tg:${updateIdOf(ctx)}:0`,
        now,
        inboundOf.get(ctx),
      );
    });

  // --- Groups ----------------------------------------------------------------------

  // Members of a group would see each other's answers: the bot explains once and leaves.
  // Nothing of the group or its members is stored.
  const refuseGroup = async (ctx: Context) => {
    const chatId = chatOf(ctx);
    const t = strangerTexts(ctx);
    if (ctx.callbackQuery) {
      await ctx.answerCallbackQuery({ text: t('group.short'), show_alert: true }).catch(noop);
      return;
    }
    const status = ctx.myChatMember?.new_chat_member.status;
    const added = status === 'member' || status === 'administrator';
    const command = ctx.message?.entities?.some((e) => e.type === 'bot_command' && e.offset === 0);
    if (!added && !command) return;
    await sender.sendDirect(chatId, t('group.refusal', { bot: botName() }));
    await ctx.api.leaveChat(chatId).catch(noop);
  };

  // --- Wiring ----------------------------------------------------------------------

  bot.use(async (ctx, next) => {
    if (!ctx.chat) return; // inline queries, polls...: not for this bot
    if (ctx.chat.type !== 'private') return refuseGroup(ctx);
    await next();
  });
  bot.command('start', onStart);
  bot.command(['stop', 'arret'], (ctx) => forward(ctx, { text: 'STOP' }, 'strangerStop'));
  bot.command(['aide', 'help'], (ctx) => forward(ctx, { text: 'AIDE' }));
  bot.command(['langue', 'language', 'lang'], onLanguageCommand);
  bot.on('callback_query:data', async (ctx) => {
    const data = ctx.callbackQuery.data;
    // The spinner on the button stops at once; the old keyboard goes away, so an earlier
    // question cannot be answered again by mistake (the engine would refuse it anyway).
    const answered = deps.callbackAnswered?.(ctx.update.update_id)
      ? Promise.resolve()
      : ctx.answerCallbackQuery().then(noop, noop);
    const done = answered.then(() => removeKeyboard(ctx));
    try {
      if (parseFlowButtonData(data)) await forward(ctx, { buttonData: data });
      else if (data.startsWith(LANGUAGE_DATA))
        await setLanguage(ctx, data.slice(LANGUAGE_DATA.length));
      else if (data.startsWith(TERRITORY_DATA)) {
        await chooseTerritory(ctx, data.slice(TERRITORY_DATA.length));
      } else if (data.startsWith(ORGANISATION_DATA)) {
        const known = await identityOf(prisma, chatOf(ctx));
        if (!known) await onboardNewcomer(ctx, data.slice(ORGANISATION_DATA.length));
      }
    } finally {
      await done;
    }
  });
  bot.on(['message:voice', 'message:audio'], (ctx) => {
    const file = ctx.message.voice ?? ctx.message.audio;
    return forward(ctx, { voiceRef: file?.file_id });
  });
  bot.on('message:text', (ctx) => {
    const text = ctx.message.text;
    // An unknown command is somebody looking for what they can do: the help answer.
    if (ctx.message.entities?.some((e) => e.type === 'bot_command' && e.offset === 0)) {
      return forward(ctx, { text: 'AIDE' });
    }
    return forward(ctx, { text });
  });
  bot.on('message', (ctx) =>
    forKnownChat(ctx, '[unsupported]', 'hello', async (tx, identity, person, now) => {
      await reply(
        tx,
        identity,
        ctx,
        [{ text: telegramTexts(i18n, person.language)('unsupported') }],
        now,
      );
    }),
  );
}
