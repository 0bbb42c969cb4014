// The Telegram channel's behaviour around the flows: the webhook's door, updates handled
// once (even by another instance), links that do not work, joining without a link, /aide,
// /langue, groups, strangers, and what the sender does with 403, 5xx and 429. Long polling
// at the end.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Update } from 'grammy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relais } from '../../../src/app.js';
import { createLinkCode } from '../../../src/channels/telegram/link-codes.js';
import { type EnqueueRequest, enqueue } from '../../../src/messaging/outbox.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../../support/db.js';
import {
  type FakeCall,
  type FakeTelegramApi,
  startFakeTelegramApi,
} from '../../support/fakes/telegram-api.js';
import { startTestRelais } from '../../support/relais.js';
import {
  callLines,
  deliver,
  movingClock,
  postUpdate,
  send,
  TelegramUser,
  telegramEnv,
  telegramOf,
} from '../../support/telegram.js';

let db: TestDatabase;
let relais: Relais;
let fake: FakeTelegramApi;
let orgId: string;
let otherOrgId: string;
let niortId: string;
let gatineId: string;
const clock = movingClock('2026-03-04T09:00:00Z');

let seen = 0;
function newCalls(): string[] {
  const lines = callLines(fake.calls, seen);
  seen = fake.calls.length;
  return lines;
}

/** Léa-like: an imported person with a mobile (SMS consent) and a territory. */
async function imported(name: string, ref: string, chat?: number) {
  const p = db.prisma;
  const person = await p.person.create({
    data: {
      organisationId: orgId,
      territoryId: niortId,
      externalRef: ref,
      displayName: name,
      roles: ['beneficiary'],
      identities: {
        create: {
          organisationId: orgId,
          channel: 'sms',
          address: `+3363998${String(Math.floor(Math.random() * 1e4)).padStart(4, '0')}`,
          consent: 'granted',
          consentSource: 'import',
        },
      },
    },
  });
  if (chat) {
    const { code } = await createLinkCode(p, {
      organisationId: orgId,
      personId: person.id,
      now: clock(),
    });
    await send(relais, new TelegramUser(chat, name).message(`/start ${code}`));
    await deliver(relais);
    newCalls();
  }
  return person;
}

/**
 * A Relais of its own on its own fake Bot API (settings made from the fake), for `work`;
 * both are stopped after it.
 */
async function withOwnBot(
  env: (fake: FakeTelegramApi) => Record<string, string>,
  options: { clock: () => Date },
  work: (relais: Relais, fake: FakeTelegramApi) => Promise<void>,
): Promise<void> {
  const ownFake = await startFakeTelegramApi();
  const own = await startTestRelais(db, env(ownFake), options);
  try {
    await work(own, ownFake);
  } finally {
    await own.stop();
    await ownFake.close();
  }
}

/** Presses a button of the last message `user` got from `api`, and delivers what follows. */
async function pressLast(
  on: Relais,
  api: FakeTelegramApi,
  user: TelegramUser,
  button: string | RegExp,
): Promise<void> {
  await send(on, user.press(api.delivered(user.id).at(-1) as never, button));
  await deliver(on);
}

/** A message queued for a person's Telegram chat, as the services queue one. */
function queueTelegram(
  person: { id: string },
  identityId: string,
  fields: Pick<EnqueueRequest, 'text' | 'idempotencyKey'> & Partial<EnqueueRequest>,
) {
  return enqueue(
    db.prisma,
    {
      organisationId: orgId,
      personId: person.id,
      identityId,
      channel: 'telegram',
      purpose: 'system',
      urgent: true,
      ...fields,
    },
    clock(),
  );
}

async function counts() {
  const p = db.prisma;
  return {
    people: await p.person.count(),
    identities: await p.channelIdentity.count(),
    messages: await p.message.count(),
  };
}

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeTelegramApi();
  const p = db.prisma;
  const org = await p.organisation.create({
    data: { slug: 'deux-sevres-t', name: 'Deux-Sèvres' },
  });
  orgId = org.id;
  otherOrgId = (
    await p.organisation.create({ data: { slug: 'puy-de-dome-t', name: 'Puy-de-Dôme' } })
  ).id;
  niortId = (
    await p.territory.create({
      data: {
        organisationId: orgId,
        code: 'niortais',
        name: 'Niortais',
        helpName: 'Accueil insertion du Niortais',
        helpPhone: '05 49 00 00 01',
      },
    })
  ).id;
  gatineId = (
    await p.territory.create({ data: { organisationId: orgId, code: 'gatine', name: 'Gâtine' } })
  ).id;
  relais = await startTestRelais(db, telegramEnv(fake, { TELEGRAM_CHAT_INTERVAL_MS: '50' }), {
    clock,
  });
  newCalls();
});

afterAll(async () => {
  await relais?.stop();
  await fake?.close();
  await db?.destroy();
});

describe(`the Telegram channel (${usingPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('answers 401 to a request without the secret token, and keeps nothing of it', async () => {
    const before = await counts();
    const update = new TelegramUser(111).message('/start');
    expect((await postUpdate(relais, update, null)).status).toBe(401);
    expect((await postUpdate(relais, update, 'not-the-secret-token')).status).toBe(401);
    expect((await postUpdate(relais, { hello: 'world' })).status).toBe(400);
    await telegramOf(relais).idle();
    expect(await counts()).toEqual(before);
    expect(newCalls()).toEqual([]);
  });

  it('handles an update once, even when another instance gets it again', async () => {
    const person = await imported('Karim', 'T-DUP', 222);
    const karim = new TelegramUser(222, 'Karim');
    const update = karim.message('/aide');
    await send(relais, update);
    await deliver(relais);
    expect(newCalls()).toHaveLength(1);
    // A second Relais on the same database (no memory of the first one's updates).
    const second = await startTestRelais(db, telegramEnv(fake), { clock });
    try {
      newCalls();
      await send(second, update);
      await deliver(second);
      expect(newCalls()).toEqual([]);
      expect(
        await db.prisma.message.count({
          where: { personId: person.id, direction: 'inbound' },
        }),
      ).toBe(2); // the /start of the link and this /aide, once
    } finally {
      await second.stop();
      newCalls();
    }
  });

  it('keys updates by bot: a new bot, whose update ids start again, is not taken for the old', async () => {
    const person = await imported('Inès', 'T-BOT', 223);
    const update = new TelegramUser(223, 'Inès').message('/aide');
    await send(relais, update);
    await deliver(relais);
    expect(newCalls()).toHaveLength(1);
    // The département replaces its bot (a new token): the same chat, the same update id.
    const newBot = await startFakeTelegramApi({
      token: '987654321:BBAnotherBotTokenForTheTests_0123',
    });
    const second = await startTestRelais(db, telegramEnv(newBot), { clock });
    try {
      await send(second, update);
      await deliver(second);
      expect(callLines(newBot.calls.filter((c) => c.method === 'sendMessage'))).toEqual([
        expect.stringMatching(/^sendMessage 223 "Pour parler à une personne/),
      ]);
      const keys = await db.prisma.message.findMany({
        where: { personId: person.id, direction: 'inbound', body: 'AIDE' },
        select: { idempotencyKey: true },
      });
      expect(keys.map((k) => k.idempotencyKey).sort()).toEqual([
        `in:telegram:${fake.botInfo.id}:${update.update_id}`,
        `in:telegram:987654321:${update.update_id}`,
      ]);
    } finally {
      await second.stop();
      await newBot.close();
      newCalls();
    }
  });

  it('/aide gives the human contact of the territory', async () => {
    await imported('Samia', 'T-AIDE', 333);
    await send(relais, new TelegramUser(333, 'Samia').message('/aide'));
    await deliver(relais);
    expect(newCalls()).toEqual([
      'sendMessage 333 "Pour parler à une personne : Accueil insertion du Niortais, 05 49 00 00 01. Écrivez STOP pour ne plus recevoir de messages, QUITTER pour arrêter le questionnaire."',
    ]);
  });

  it('refuses a link that is unknown, spent or expired, and keeps nothing', async () => {
    const person = await imported('Kevin', 'T-LINK');
    const used = await createLinkCode(db.prisma, {
      organisationId: orgId,
      personId: person.id,
      now: clock(),
    });
    await send(relais, new TelegramUser(444).message(`/start ${used.code}`));
    await deliver(relais);
    newCalls();
    const old = await createLinkCode(db.prisma, {
      organisationId: orgId,
      personId: person.id,
      now: new Date(clock().getTime() - 40 * 86_400_000),
    });
    const before = await counts();
    const stranger = new TelegramUser(445, 'Inconnu');
    for (const code of [used.code, old.code, 'AAAAAAAAAAAAAAAAAAAAAA', 'bad']) {
      await send(relais, stranger.message(`/start ${code}`));
    }
    await deliver(relais);
    const refusal =
      'sendMessage 445 "Ce lien ne marche plus : il a déjà servi ou il est trop ancien. Demandez un nouveau lien à la personne qui vous accompagne."';
    expect(newCalls()).toEqual([refusal, refusal, refusal, refusal]);
    expect(await counts()).toEqual(before);
    // The person who used it opening it again is simply welcomed back.
    await send(relais, new TelegramUser(444).message(`/start ${used.code}`));
    await deliver(relais);
    expect(newCalls()).toEqual([
      'sendMessage 444 "Vous êtes déjà inscrit ici. Écrivez AIDE pour parler à une personne, /langue pour changer de langue, STOP pour arrêter les messages."',
    ]);
  });

  it('a stranger who writes is told how to begin; nothing is kept', async () => {
    const before = await counts();
    const stranger = new TelegramUser(555, 'Passant');
    await send(relais, stranger.message('bonjour'));
    await send(relais, stranger.voice('voice-of-a-stranger'));
    await send(relais, stranger.message('/stop'));
    await deliver(relais);
    expect(newCalls()).toEqual([
      'sendMessage 555 "Bonjour ! Pour commencer, ouvrez le lien que vous avez reçu, ou touchez /start."',
      'sendMessage 555 "Bonjour ! Pour commencer, ouvrez le lien que vous avez reçu, ou touchez /start."',
      `sendMessage 555 "C'est noté : vous ne recevrez pas de messages."`,
    ]);
    expect(await counts()).toEqual(before);
  });

  it('joins without a link: département, consent, language, territory', async () => {
    const ana = new TelegramUser(666, 'Ana', 'en');
    await send(relais, ana.message('/start'));
    await deliver(relais);
    // Two organisations and no TELEGRAM_ORGANISATION: the newcomer picks (in their language).
    expect(newCalls()).toEqual([
      'sendMessage 666 "Hello! Which département do you live in? Tap your answer." [Deux-Sèvres / Puy-de-Dôme]',
    ]);
    expect(await db.prisma.channelIdentity.count({ where: { address: '666' } })).toBe(0);
    await pressLast(relais, fake, ana, 'Deux-Sèvres');
    expect(newCalls()).toEqual([
      'answerCallbackQuery',
      'editMessageReplyMarkup 666 []',
      'sendMessage 666 "Hello! This is Relais. Through this service, the Département asks for your opinion by message."',
      'sendMessage 666 "Do you agree to receive our messages? We only keep your number and your answers. To stop, write STOP." [Yes | No]',
    ]);
    await pressLast(relais, fake, ana, 'Yes');
    newCalls();
    await pressLast(relais, fake, ana, 'English');
    expect(newCalls()).toEqual([
      'answerCallbackQuery',
      'editMessageReplyMarkup 666 []',
      'sendMessage 666 "Thank you, it is done! Write HELP if you have a question."',
      'sendMessage 666 "Last question: near where you live, which office supports you? Tap an answer, or write its number." [1. Gâtine / 2. Niortais]',
    ]);
    // Typed: the number of the button.
    await send(relais, ana.message('1'));
    await deliver(relais);
    expect(newCalls()).toEqual([
      'sendMessage 666 "Thank you! Noted: Gâtine. To talk to a person, send HELP."',
    ]);
    const identity = await db.prisma.channelIdentity.findFirstOrThrow({
      where: { address: '666' },
      include: { person: true, consentEvents: true },
    });
    expect(identity).toMatchObject({
      organisationId: orgId,
      consent: 'granted',
      consentSource: 'telegram:onboarding',
      person: { displayName: 'Ana', language: 'en', territoryId: gatineId },
    });
    expect(identity.consentAt).toBeInstanceOf(Date);
    expect(identity.consentEvents.map((e) => [e.action, e.source])).toEqual([
      ['granted', 'telegram:onboarding'],
    ]);
  });

  it('records a no as withdrawn consent', async () => {
    const tom = new TelegramUser(667, 'Tom');
    await send(relais, tom.message('/start'));
    await deliver(relais);
    await pressLast(relais, fake, tom, 'Deux-Sèvres');
    await pressLast(relais, fake, tom, 'Non');
    expect(newCalls().at(-1)).toBe(
      `sendMessage 667 "C'est noté. Vous ne recevrez pas nos messages. Vous pouvez nous réécrire si vous changez d'avis."`,
    );
    expect(
      await db.prisma.channelIdentity.findFirstOrThrow({ where: { address: '667' } }),
    ).toMatchObject({ consent: 'withdrawn', consentSource: 'telegram:onboarding' });
    expect(otherOrgId).toBeTruthy();
  });

  it('/langue changes the language with buttons', async () => {
    const person = await imported('Nathalie', 'T-LANG', 777);
    const nat = new TelegramUser(777, 'Nathalie');
    await send(relais, nat.message('/langue'));
    await deliver(relais);
    expect(newCalls()).toEqual([
      'sendMessage 777 "Dans quelle langue voulez-vous vos messages ?" [Français / English / Français facile]',
    ]);
    await pressLast(relais, fake, nat, 'Français facile');
    expect(newCalls()).toEqual([
      'answerCallbackQuery',
      'editMessageReplyMarkup 777 []',
      `sendMessage 777 "C'est noté. Vos messages sont en français facile."`,
    ]);
    expect((await db.prisma.person.findUniqueOrThrow({ where: { id: person.id } })).language).toBe(
      'fr-x-falc',
    );
    await send(relais, nat.message('/langue en'));
    await deliver(relais);
    expect(newCalls()).toEqual(['sendMessage 777 "Done: your messages will be in English."']);
  });

  it('typed text that looks like a voice reference is text, not a voice note', async () => {
    const person = await imported('Léon', 'T-VOICE', 779);
    const leon = new TelegramUser(779, 'Léon');
    const telegram = await db.prisma.channelIdentity.findFirstOrThrow({
      where: { personId: person.id, channel: 'telegram' },
    });
    const answerAvis = async (answer: () => Update) => {
      const run = await relais.services.conversations.startRun({
        personId: person.id,
        identityId: telegram.id,
        flowId: 'avis-libre',
        cause: `test:voice:${Math.random()}`,
      });
      await deliver(relais);
      await send(relais, leon.message('Santé'));
      await send(relais, answer());
      await deliver(relais);
      newCalls();
      expect(await db.prisma.flowRun.findUniqueOrThrow({ where: { id: run.id } })).toMatchObject({
        status: 'completed',
      });
    };
    // An avis names nobody (no FlowResult): its Avis row says whether it is a voice note.
    await answerAvis(() => leon.message('[voice:AwACAgQAAxkBTyped]'));
    expect(
      await db.prisma.avis.findMany({
        where: { theme: 'sante' },
        select: { text: true, voiceRef: true },
      }),
    ).toEqual([{ text: '[voice:AwACAgQAAxkBTyped]', voiceRef: null }]);
    await answerAvis(() => leon.voice('AwACAgQAAxkBSpoken'));
    expect(
      await db.prisma.avis.count({ where: { theme: 'sante', voiceRef: 'AwACAgQAAxkBSpoken' } }),
    ).toBe(1);
  });

  it('a sticker gets a plain answer', async () => {
    await imported('Dylan', 'T-STICK', 778);
    await send(relais, new TelegramUser(778, 'Dylan').sticker());
    await deliver(relais);
    expect(newCalls()).toEqual([
      'sendMessage 778 "Je ne peux lire que les messages écrits, les boutons et les messages vocaux."',
    ]);
  });

  it('refuses group chats and leaves them, keeping nothing', async () => {
    const before = await counts();
    const group = { id: -1001234567, type: 'supergroup' as const, title: 'Groupe des usagers' };
    const from = { id: 888, is_bot: false as const, first_name: 'Animatrice' };
    await send(relais, {
      update_id: 9_100_001,
      my_chat_member: {
        chat: group,
        from,
        date: 1,
        old_chat_member: { status: 'left', user: fake.botInfo },
        new_chat_member: { status: 'member', user: fake.botInfo },
      },
    } as never);
    await send(relais, {
      update_id: 9_100_002,
      message: {
        message_id: 5,
        date: 1,
        chat: group,
        from,
        text: '/start',
        entities: [{ type: 'bot_command', offset: 0, length: 6 }],
      },
    } as never);
    // Ordinary talk in the group is none of the bot's business.
    await send(relais, {
      update_id: 9_100_003,
      message: { message_id: 6, date: 1, chat: group, from, text: 'Bonjour à tous' },
    } as never);
    await deliver(relais);
    const refusal = `sendMessage -1001234567 "Je ne réponds qu'en conversation privée, pour que vos réponses restent entre nous. Écrivez-moi directement : @relais_test_bot"`;
    expect(newCalls()).toEqual([
      refusal,
      'leaveChat -1001234567',
      refusal,
      'leaveChat -1001234567',
    ]);
    expect(await counts()).toEqual(before);
  });

  it('403 blocked: the chat is marked unreachable and the message goes by SMS', async () => {
    const person = await imported('Gérard', 'T-403', 999);
    const telegram = await db.prisma.channelIdentity.findFirstOrThrow({
      where: { personId: person.id, channel: 'telegram' },
    });
    await sleep(100); // past the per-chat pause after the welcome message
    fake.fail({ status: 403, chatId: 999, times: 1 });
    await queueTelegram(person, telegram.id, {
      text: 'Votre rendez-vous de jeudi est confirmé.',
      buttons: [{ label: 'Merci', data: 'f:ok:yes' }],
      purpose: 'appointment',
      urgent: true,
      idempotencyKey: 'test:403',
    });
    await deliver(relais);
    expect(newCalls()).toEqual([
      'sendMessage 999 "Votre rendez-vous de jeudi est confirmé." [Merci] -> 403',
    ]);
    const after = await db.prisma.channelIdentity.findUniqueOrThrow({
      where: { id: telegram.id },
      include: { consentEvents: true },
    });
    expect(after.unreachableAt).not.toBeNull();
    expect(after.unreachableReason).toBe('403 Forbidden: bot was blocked by the user');
    expect(after.consentEvents.map((e) => e.action)).toContain('unreachable');
    const sms = await db.prisma.message.findFirstOrThrow({
      where: { personId: person.id, channel: 'sms', idempotencyKey: 'test:403:fallback:sms' },
    });
    expect(sms.body).toBe('Votre rendez-vous de jeudi est confirmé.\n1. Merci');
    // Nothing more goes to the blocked chat...
    await queueTelegram(person, telegram.id, {
      text: 'Un autre message.',
      purpose: 'system',
      urgent: true,
      idempotencyKey: 'test:403:after',
    });
    await deliver(relais);
    expect(newCalls()).toEqual([]);
    // ...but what was meant for it still reaches them, by SMS (they agreed to SMS).
    const smsOf = (key: string) =>
      db.prisma.message.findUniqueOrThrow({ where: { idempotencyKey: key } });
    expect(await smsOf('test:403:after')).toMatchObject({
      status: 'failed',
      failureKind: 'unreachable',
    });
    expect(await smsOf('test:403:after:fallback:sms')).toMatchObject({
      channel: 'sms',
      status: 'sent',
      body: 'Un autre message.',
    });
    // An SMS preview shows the first line too: the same rule as on Telegram.
    await queueTelegram(person, telegram.id, {
      text: '\nVotre RSA : pièces à fournir.',
      purpose: 'system',
      urgent: true,
      idempotencyKey: 'test:403:exposing',
    });
    await deliver(relais);
    expect((await smsOf('test:403:exposing:fallback:sms')).body).toBe(
      'Relais\nVotre RSA : pièces à fournir.',
    );
    // So do new messages of a run that talks to the Telegram chat (a consultation and its
    // reminders keep the run's identity): the questions come by SMS, answers numbered.
    // (Not an avis: the messages of anonymous runs are blanked once sent.)
    const run = await relais.services.conversations.startRun({
      personId: person.id,
      identityId: telegram.id,
      flowId: 'satisfaction-accompagnement',
      cause: 'test:403:run',
    });
    await deliver(relais);
    expect(newCalls()).toEqual([]);
    const runSms = await db.prisma.message.findMany({
      where: { contextId: run.id, channel: 'sms' },
      orderBy: { idempotencyKey: 'asc' },
    });
    // The introduction, then the first question.
    expect(runSms.map((m) => [m.idempotencyKey, m.status])).toEqual([
      ['test:403:run:0:fallback:sms', 'sent'],
      ['test:403:run:1:fallback:sms', 'sent'],
    ]);
    expect(runSms.map((m) => m.body).join('\n')).toMatch(
      /Combien de fois voyez-vous votre référent.*\n1\. Chaque semaine\n2\. Chaque mois/s,
    );
    // ...until they unblock the bot and write again.
    await send(relais, new TelegramUser(999, 'Gérard').message('/aide'));
    await deliver(relais);
    expect(newCalls()).toHaveLength(1);
    expect(
      (await db.prisma.channelIdentity.findUniqueOrThrow({ where: { id: telegram.id } }))
        .unreachableAt,
    ).toBeNull();
  });

  it('5xx: the message is retried later with a backoff, and sent once', async () => {
    const person = await imported('Yannick', 'T-5XX', 1010);
    const telegram = await db.prisma.channelIdentity.findFirstOrThrow({
      where: { personId: person.id, channel: 'telegram' },
    });
    await sleep(100);
    fake.fail({ status: 502, chatId: 1010, times: 1 });
    const { id } = await queueTelegram(person, telegram.id, {
      text: 'Rappel : atelier demain.',
      purpose: 'system',
      urgent: true,
      idempotencyKey: 'test:5xx',
    });
    await relais.services.dispatcher.drain();
    const waiting = await db.prisma.message.findUniqueOrThrow({ where: { id } });
    expect(waiting).toMatchObject({ status: 'queued', failureKind: 'transient' });
    expect(waiting.notBefore.getTime()).toBeGreaterThan(clock().getTime() + 20_000);
    // Later (the backoff brought forward for the test), it goes out once.
    await db.prisma.message.update({ where: { id }, data: { notBefore: clock() } });
    await deliver(relais);
    expect(newCalls()).toEqual([
      'sendMessage 1010 "Rappel : atelier demain." -> 502',
      'sendMessage 1010 "Rappel : atelier demain."',
    ]);
    expect((await db.prisma.message.findUniqueOrThrow({ where: { id } })).status).toBe('sent');
  });

  it('a button Telegram cannot carry fails the message, instead of sending it without', async () => {
    const person = await imported('Odile', 'T-64', 1212);
    const telegram = await db.prisma.channelIdentity.findFirstOrThrow({
      where: { personId: person.id, channel: 'telegram' },
    });
    const { id } = await queueTelegram(person, telegram.id, {
      text: 'Venez-vous jeudi ?',
      buttons: [
        { label: 'Oui', data: 'f:jeudi:yes' },
        { label: 'Non', data: `f:jeudi:${'n'.repeat(60)}` },
      ],
      purpose: 'system',
      urgent: true,
      idempotencyKey: 'test:64',
    });
    await deliver(relais);
    expect(newCalls()).toEqual([]);
    expect(await db.prisma.message.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: 'failed',
      failureKind: 'permanent',
      failureReason: 'the button "Non" carries 68 bytes of callback data; Telegram accepts 1 to 64',
    });
  });

  it('a send whose answer was lost is uncertain: not sent again until the stale-claim pass', async () => {
    const person = await imported('Rémi', 'T-CUT', 1313);
    const telegram = await db.prisma.channelIdentity.findFirstOrThrow({
      where: { personId: person.id, channel: 'telegram' },
    });
    await sleep(100);
    const before = fake.delivered(1313).length;
    // Telegram sends the message, but the connection is cut before its answer arrives.
    fake.fail({ status: 'cut', chatId: 1313, times: 1 });
    const { id } = await queueTelegram(person, telegram.id, {
      text: 'Atelier CV lundi à 14 h.',
      purpose: 'system',
      urgent: true,
      idempotencyKey: 'test:cut',
    });
    const { dispatcher } = relais.services;
    await dispatcher.drain();
    await dispatcher.drain();
    expect(fake.delivered(1313)).toHaveLength(before + 1);
    expect(await db.prisma.message.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: 'sending',
      failureKind: 'uncertain',
    });
    // Telegram cannot be asked whether it took it: once the claim is stale (5 minutes,
    // brought forward here) it goes again. A rare duplicate rather than a lost message.
    await db.prisma.message.update({
      where: { id },
      data: { claimedAt: new Date(clock().getTime() - 6 * 60_000) },
    });
    (dispatcher as unknown as { lastStaleCheck: number }).lastStaleCheck = Number.NEGATIVE_INFINITY;
    await deliver(relais);
    expect(fake.delivered(1313)).toHaveLength(before + 2);
    expect((await db.prisma.message.findUniqueOrThrow({ where: { id } })).status).toBe('sent');
    newCalls();
  });

  it('429: the message waits for retry_after', async () => {
    const person = await imported('Fatou', 'T-429', 1111);
    const telegram = await db.prisma.channelIdentity.findFirstOrThrow({
      where: { personId: person.id, channel: 'telegram' },
    });
    await sleep(100);
    fake.fail({ status: 429, retryAfter: 3, chatId: 1111, times: 1 });
    const { id } = await queueTelegram(person, telegram.id, {
      text: 'Nouvelle date proposée.',
      purpose: 'system',
      urgent: true,
      idempotencyKey: 'test:429',
    });
    const sentAt = clock().getTime();
    await relais.services.dispatcher.runOnce();
    const waiting = await db.prisma.message.findUniqueOrThrow({ where: { id } });
    expect(waiting).toMatchObject({ status: 'queued', failureKind: 'rate_limited' });
    expect(waiting.notBefore.getTime() - sentAt).toBeGreaterThanOrEqual(2900);
    expect(waiting.notBefore.getTime() - sentAt).toBeLessThan(4000);
    await deliver(relais);
    const lines = newCalls();
    expect(lines).toEqual([
      'sendMessage 1111 "Nouvelle date proposée." -> 429',
      'sendMessage 1111 "Nouvelle date proposée."',
    ]);
    const [refused, accepted] = fake.calls
      .filter((c) => c.params.chat_id === '1111' || c.params.chat_id === 1111)
      .slice(-2);
    expect((accepted?.at ?? 0) - (refused?.at ?? 0)).toBeGreaterThanOrEqual(3000);
  });
});

describe('at night (quiet hours)', () => {
  it('answers to what people just wrote still go out at once', async () => {
    await withOwnBot(
      (nightFake) =>
        telegramEnv(nightFake, {
          TELEGRAM_ORGANISATION: 'deux-sevres-t',
          TELEGRAM_CHAT_INTERVAL_MS: '50',
        }),
      // 23:10 in Paris, a Wednesday.
      { clock: movingClock('2026-03-04T22:10:00Z') },
      async (night, nightFake) => {
        // Joining by link, for a person without a territory yet.
        const person = await db.prisma.person.create({
          data: { organisationId: orgId, displayName: 'Chloé', roles: ['beneficiary'] },
        });
        const { code } = await createLinkCode(db.prisma, {
          organisationId: orgId,
          personId: person.id,
          now: clock(),
        });
        const chloe = new TelegramUser(3131, 'Chloé');
        await send(night, chloe.message(`/start ${code}`));
        await deliver(night);
        expect(nightFake.delivered(3131).map((c) => String(c.params.text).slice(0, 20))).toEqual([
          "Bonjour Chloé ! C'es",
          'Dernière question : ',
        ]);
        // Joining without one: the whole onboarding, at night.
        const noe = new TelegramUser(3232, 'Noé');
        await send(night, noe.message('/start'));
        await deliver(night);
        await pressLast(night, nightFake, noe, 'Oui');
        await pressLast(night, nightFake, noe, 'Français');
        await pressLast(night, nightFake, noe, /Niortais/);
        expect(nightFake.delivered(3232).map((c) => String(c.params.text).slice(0, 20))).toEqual([
          'Bonjour ! Ici Relais',
          'Acceptez-vous de rec',
          'Dans quelle langue v',
          "Merci, c'est fait ! ",
          'Dernière question : ',
          "Merci ! C'est noté :",
        ]);
        // Quiet hours do hold back what is not an answer (here a consultation's invitation).
        const held = await enqueue(
          db.prisma,
          {
            organisationId: orgId,
            personId: person.id,
            identityId: (
              await db.prisma.channelIdentity.findFirstOrThrow({ where: { address: '3131' } })
            ).id,
            channel: 'telegram',
            text: 'Une nouvelle consultation est ouverte.',
            purpose: 'consultation',
            idempotencyKey: 'test:night:invitation',
          },
          night.services.clock(),
        );
        await night.services.dispatcher.drain();
        expect(await db.prisma.message.findUniqueOrThrow({ where: { id: held.id } })).toMatchObject(
          {
            status: 'queued',
          },
        );
        expect(nightFake.delivered(3131)).toHaveLength(2);
        expect(
          await db.prisma.message.count({
            where: {
              id: { not: held.id },
              channel: 'telegram',
              status: 'queued',
              identity: { address: { in: ['3131', '3232'] } },
            },
          }),
        ).toBe(0);
      },
    );
  });
});

describe('long polling', () => {
  it('takes updates with getUpdates and joins newcomers to TELEGRAM_ORGANISATION', async () => {
    await withOwnBot(
      (pollingFake) => ({
        TELEGRAM_BOT_TOKEN: pollingFake.token,
        TELEGRAM_API_ROOT: pollingFake.url,
        TELEGRAM_MODE: 'polling',
        TELEGRAM_ORGANISATION: 'puy-de-dome-t',
      }),
      { clock },
      async (polling, pollingFake) => {
        const lucas = new TelegramUser(4242, 'Lucas');
        pollingFake.pushUpdates(lucas.message('/start') as never);
        await pollingFake.waitFor(() =>
          pollingFake.calls.some((c) => c.method === 'getUpdates' && Number(c.params.offset) > 0),
        );
        await deliver(polling);
        expect(pollingFake.delivered(4242)).toHaveLength(2);
        const methods = pollingFake.calls.map((c) => c.method);
        expect(methods.slice(0, 4)).toEqual([
          'getMe',
          'setMyCommands',
          'setMyCommands',
          'deleteWebhook',
        ]);
        expect(methods).toContain('getUpdates');
        expect(methods).not.toContain('setWebhook');
        const identity = await db.prisma.channelIdentity.findFirstOrThrow({
          where: { channel: 'telegram', address: '4242' },
        });
        expect(identity.organisationId).toBe(otherOrgId);
        // Without a webhook to answer, a press is answered by a request of its own.
        const question = pollingFake.delivered(4242).at(-1) as FakeCall;
        const press = lucas.press(question, /./);
        pollingFake.pushUpdates(press as never);
        await pollingFake.waitFor(() =>
          pollingFake.calls.some((c) => c.method === 'answerCallbackQuery'),
        );
        const answer = pollingFake.calls.find((c) => c.method === 'answerCallbackQuery');
        expect(answer?.params).toEqual({ callback_query_id: press.callback_query?.id });
        expect(answer?.viaWebhook).toBeUndefined();
        // No webhook route in polling mode.
        expect((await postUpdate(polling, lucas.message('/aide'))).status).toBe(404);
      },
    );
  });
});

describe('with the dispatcher running in the process', () => {
  it('sends an answer the moment its transaction commits, claimed as it was written', async () => {
    // The dispatcher's poll waits ten minutes: only "at once" can deliver within the test
    // (and no pause between two messages to a chat, which would leave one to the poll).
    await withOwnBot(
      (liveFake) =>
        telegramEnv(liveFake, {
          DISPATCHER_ENABLED: 'true',
          DISPATCH_INTERVAL_MS: '600000',
          TELEGRAM_CHAT_INTERVAL_MS: '0',
        }),
      { clock },
      async (live, liveFake) => {
        const person = await db.prisma.person.create({
          data: {
            organisationId: orgId,
            territoryId: niortId,
            displayName: 'Inès',
            roles: ['beneficiary'],
          },
        });
        const { code } = await createLinkCode(db.prisma, {
          organisationId: orgId,
          personId: person.id,
          now: clock(),
        });
        const ines = new TelegramUser(5151, 'Inès');
        // The welcome is queued by the channel itself: a dispatcher turn is asked for.
        await postUpdate(live, ines.message(`/start ${code}`));
        await liveFake.waitFor(() => liveFake.delivered(5151).length === 1);
        // AIDE is answered by the conversation layer, which claims its answer as it writes it.
        const aide = ines.message('/aide');
        await postUpdate(live, aide);
        await liveFake.waitFor(() => liveFake.delivered(5151).length === 2);
        expect(String(liveFake.delivered(5151)[1]?.params.text)).toContain('05 49 00 00 01');
        const answer = await db.prisma.message.findFirstOrThrow({
          where: { personId: person.id, direction: 'outbound', body: { contains: '05 49' } },
        });
        // Claimed in the statement that wrote it, once, by this instance's dispatcher.
        expect(answer).toMatchObject({
          attempts: 1,
          claimedBy: live.services.dispatcher.instanceId,
        });
        const claimedAfter = (answer.claimedAt?.getTime() ?? 0) - answer.createdAt.getTime();
        expect(claimedAfter).toBeGreaterThanOrEqual(0);
        expect(claimedAfter).toBeLessThan(1000);
        await live.services.dispatcher.drain();
        expect(
          (await db.prisma.message.findUniqueOrThrow({ where: { id: answer.id } })).status,
        ).toBe('sent');
        // Telegram sending the update again changes nothing.
        await postUpdate(live, aide);
        await telegramOf(live).idle();
        await live.services.dispatcher.drain();
        expect(liveFake.delivered(5151)).toHaveLength(2);
      },
    );
  });
});
