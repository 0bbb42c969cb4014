// A whole consultation on Telegram, through webhook updates posted to Relais and the fake
// Bot API: onboarding by deep link, answers by button and by typing, a press on an old
// question's button, a voice note, /stop. Asserts what is stored and every Bot API call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relais } from '../../../src/app.js';
import { createApiToken } from '../../../src/http/auth.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../../support/db.js';
import { type FakeTelegramApi, startFakeTelegramApi } from '../../support/fakes/telegram-api.js';
import { startTestRelais } from '../../support/relais.js';
import {
  callLines,
  deliver,
  movingClock,
  send,
  TelegramUser,
  telegramEnv,
} from '../../support/telegram.js';

let db: TestDatabase;
let relais: Relais;
let fake: FakeTelegramApi;
let token: string;
let leaId: string;

const lea = new TelegramUser(5550001, 'Léa');
const VOICE = 'AwACAgQAAxkBAAIBVoice-note-of-Lea';

async function api(path: string, body?: unknown) {
  const res = await fetch(`${relais.url}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const type = res.headers.get('content-type') ?? '';
  return {
    status: res.status,
    type,
    // biome-ignore lint/suspicious/noExplicitAny: JSON answers of the API under test
    body: (type.includes('json') ? await res.json() : await res.text()) as any,
  };
}

/** The calls the fake received since the last look. */
let seen = 0;
function newCalls(): string[] {
  const lines = callLines(fake.calls, seen);
  seen = fake.calls.length;
  return lines;
}

function lastTo(chatId: number) {
  const sent = fake.delivered(chatId).at(-1);
  if (!sent) throw new Error(`nothing sent to ${chatId}`);
  return sent;
}

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeTelegramApi();
  const p = db.prisma;
  const org = await p.organisation.create({
    data: { slug: 'deux-sevres-test', name: 'Département des Deux-Sèvres (test)' },
  });

  const niortais = await p.territory.create({
    data: {
      organisationId: org.id,
      code: 'niortais',
      name: 'Niortais',
      helpName: 'Accueil insertion du Niortais',
      helpPhone: '05 49 00 00 01',
    },
  });
  const group = await p.group.create({
    data: { organisationId: org.id, code: 'usagers-niort', name: "Groupe d'usagers de Niort" },
  });
  // Léa was imported with her mobile number; she will link her Telegram.
  const person = await p.person.create({
    data: {
      organisationId: org.id,
      territoryId: niortais.id,
      externalRef: 'DS-B01',
      displayName: 'Léa',
      roles: ['beneficiary'],
      identities: {
        create: {
          organisationId: org.id,
          channel: 'sms',
          address: '+33639980001',
          consent: 'granted',
          consentAt: new Date('2026-01-05T09:00:00Z'),
          consentSource: 'import',
          preferred: true,
        },
      },
    },
  });
  leaId = person.id;
  await p.membership.create({ data: { groupId: group.id, personId: person.id } });
  token = await createApiToken(p, org.id, 'tests');
  // A Monday morning, running at real speed (the per-chat pauses are real time).
  relais = await startTestRelais(db, telegramEnv(fake, { TELEGRAM_CHAT_INTERVAL_MS: '200' }), {
    clock: movingClock('2026-03-02T09:00:00Z'),
  });
});

afterAll(async () => {
  await relais?.stop();
  await fake?.close();
  await db?.destroy();
});

describe(`a consultation on Telegram (${usingPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('runs from the deep link to /stop', async () => {
    // Start-up: the bot introduces itself, registers its webhook and its commands.
    expect(newCalls()).toEqual(['getMe', 'setWebhook', 'setMyCommands', 'setMyCommands']);
    const setWebhook = fake.calls.find((c) => c.method === 'setWebhook');
    expect(setWebhook?.params).toMatchObject({
      url: 'https://relais.example.test/telegram/webhook',
      secret_token: 'test-webhook-secret_0123456789',
      allowed_updates: ['message', 'callback_query', 'my_chat_member'],
    });

    // 1. The référente makes Léa's link; Léa opens it.
    const link = await api('/api/telegram/links', { person: 'DS-B01' });
    expect(link.status).toBe(201);
    expect(link.body.link).toMatch(/^https:\/\/t\.me\/relais_test_bot\?start=[A-Za-z0-9_-]{22}$/);
    const code = link.body.code as string;
    await send(relais, lea.message(`/start ${code}`));
    await deliver(relais);
    expect(newCalls()).toEqual([
      `sendMessage 5550001 "Bonjour Léa ! C'est fait : vous recevrez ici les messages de votre Département. Répondre est toujours libre. Pour parler à une personne, écrivez AIDE. Pour arrêter, écrivez STOP."`,
    ]);
    const identity = await db.prisma.channelIdentity.findFirstOrThrow({
      where: { personId: leaId, channel: 'telegram' },
      include: { consentEvents: true },
    });
    expect(identity).toMatchObject({
      address: '5550001',
      consent: 'granted',
      consentSource: 'telegram:link',
      preferred: true,
    });
    expect(identity.consentAt).toBeInstanceOf(Date);
    expect(identity.consentEvents.map((e) => [e.action, e.source])).toEqual([
      ['granted', 'telegram:link'],
    ]);
    // The code works once: it is spent, and only its hash was ever stored.
    const stored = await db.prisma.linkCode.findFirstOrThrow({ where: { personId: leaId } });
    expect(stored.usedAt).not.toBeNull();
    expect(stored.codeHash).not.toContain(code);
    expect(JSON.stringify(await db.prisma.linkCode.findMany())).not.toContain(code);

    // 2. A facilitator launches a consultation to Léa's group: she is invited on Telegram
    // (the chat she chose), not by SMS.
    const launch = await api('/api/consultations', {
      group: 'usagers-niort',
      flow: 'mobilite-forum',
      deadline: '2026-03-09T18:00:00+01:00',
    });
    expect(launch.status).toBe(201);
    expect(launch.body).toMatchObject({ invited: 1, unreachable: 0 });
    await deliver(relais);
    expect(newCalls()).toEqual([
      'sendMessage 5550001 "Bonjour ! Nous préparons un forum sur les déplacements. Votre avis compte. Répondre est libre. Cela ne change rien à vos droits ni à votre allocation."',
      `sendMessage 5550001 "Comment vous déplacez-vous ?" [Marche ou vélo / En voiture / Bus, car ou train / On m'emmène / Je sors très peu]`,
    ]);
    const modeQuestion = lastTo(lea.id);
    // Callback data within Telegram's 64 bytes.
    const keyboard = (
      modeQuestion.params.reply_markup as { inline_keyboard: { callback_data: string }[][] }
    ).inline_keyboard.flat();
    expect(keyboard.map((b) => b.callback_data)).toEqual([
      'f:mode:walk',
      'f:mode:car',
      'f:mode:transit',
      'f:mode:lift',
      'f:mode:little',
    ]);

    // 3. A button: the spinner stops, the old keyboard goes, the next question comes.
    const pressed = lea.press(modeQuestion, 'En voiture');
    await send(relais, pressed);
    await deliver(relais);
    expect(newCalls()).toEqual([
      'answerCallbackQuery',
      'editMessageReplyMarkup 5550001 []',
      `sendMessage 5550001 "Qu'est-ce qui vous pose problème pour vous déplacer ?\\nTouchez une réponse, ou écrivez les numéros de plusieurs réponses." [1. Je n'ai pas le permis / 2. Je n'ai pas de voiture / 3. L'essence est chère / 4. Les horaires des bus / 5. C'est trop loin / 6. Aucun problème]`,
    ]);
    // The spinner is stopped by the webhook's own answer (a webhook reply), not a request.
    const answer = fake.calls.find((c) => c.method === 'answerCallbackQuery');
    expect(answer?.params).toEqual({ callback_query_id: pressed.callback_query?.id });
    expect(answer?.viaWebhook).toBe(true);

    // 4. The same update delivered again by Telegram: handled once.
    await send(relais, pressed);
    await deliver(relais);
    expect(newCalls()).toEqual([]);

    // 5. A button of the earlier question: nothing changes, and the bot says so.
    await send(relais, lea.press(modeQuestion, 'Bus, car ou train'));
    await deliver(relais);
    expect(newCalls()).toEqual([
      'answerCallbackQuery',
      'editMessageReplyMarkup 5550001 []',
      'sendMessage 5550001 "Cette question est terminée, merci."',
    ]);

    // 6. A typed answer to the multiple-choice question.
    await send(relais, lea.message('1 et 3'));
    await deliver(relais);
    expect(newCalls()).toEqual([
      'sendMessage 5550001 "Se déplacer, est-ce difficile pour vous ?\\n1 = Pas difficile, 5 = Très difficile" [1 | 2 | 3 | 4 | 5]',
    ]);

    // 7. The scale and the yes/no by buttons.
    await send(relais, lea.press(lastTo(lea.id), '2'));
    await deliver(relais);
    expect(newCalls()).toEqual([
      'answerCallbackQuery',
      'editMessageReplyMarkup 5550001 []',
      'sendMessage 5550001 "Viendriez-vous à un forum sur les déplacements, près de chez vous ?" [Oui | Non]',
    ]);
    await send(relais, lea.press(lastTo(lea.id), 'Non'));
    await deliver(relais);
    expect(newCalls()).toEqual([
      'answerCallbackQuery',
      'editMessageReplyMarkup 5550001 []',
      `sendMessage 5550001 "Avez-vous une idée pour que ce soit plus facile de se déplacer ?\\nÉcrivez-la en quelques mots. Si vous n'avez pas d'idée, écrivez NON."`,
    ]);

    // 8. A voice note answers the free-text question.
    await send(relais, lea.voice(VOICE));
    await deliver(relais);
    expect(newCalls()).toEqual([
      'sendMessage 5550001 "Merci pour vos réponses ! Elles aideront à préparer le forum. Votre nom ne sera pas donné."',
    ]);

    // 9. /stop
    await send(relais, lea.message('/stop'));
    await deliver(relais);
    expect(newCalls()).toEqual([
      `sendMessage 5550001 "C'est noté : vous ne recevrez plus de messages ici. Pour reprendre, écrivez START."`,
    ]);

    // What is stored: the anonymous answers (no person id next to them), the voice note
    // by reference and marked as such for a facilitator to listen to.
    const consultationId = launch.body.id as string;
    const response = await db.prisma.consultationResponse.findFirstOrThrow({
      where: { consultationId },
      include: { answers: { orderBy: { name: 'asc' } } },
    });
    expect(response.completed).toBe(true);
    expect(response.responseKey).not.toBe(leaId);
    expect(response.answers.map((a) => [a.name, a.value, a.category])).toEqual([
      ['barriers', 'licence fuel', null],
      ['difficulty', '2', null],
      ['forum', 'no', 'no'],
      ['idea', `[voice:${VOICE}]`, 'voice'],
      ['mode', 'car', 'car'],
    ]);
    const run = await db.prisma.flowRun.findFirstOrThrow({
      where: { personId: leaId, contextType: 'consultation' },
    });
    expect(run.status).toBe('completed');
    expect(await db.prisma.flowResult.count({ where: { runId: run.id } })).toBe(0);

    // Every update once, under the bot's id and its update id.
    const inbound = await db.prisma.message.findMany({
      where: { personId: leaId, direction: 'inbound' },
      orderBy: { createdAt: 'asc' },
    });
    expect(inbound).toHaveLength(8);
    const key = new RegExp(`^in:telegram:${fake.botInfo.id}:\\d+$`);
    expect(inbound.every((m) => key.test(m.idempotencyKey))).toBe(true);
    expect(new Set(inbound.map((m) => m.idempotencyKey)).size).toBe(8);

    // A facilitator listens to the voice note through the API (never the bot token).
    const voice = await fetch(`${relais.url}/api/telegram/voice/${VOICE}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(voice.status).toBe(200);
    expect(voice.headers.get('content-type')).toBe('audio/ogg');
    expect(await voice.text()).toContain('OggS');
    expect(newCalls()).toEqual(['getFile', 'file']);
    expect((await api('/api/telegram/voice/somebody-elses-file')).status).toBe(404);

    // Opted out on Telegram: the consent history says so, and nothing more goes there.
    const after = await db.prisma.channelIdentity.findFirstOrThrow({
      where: { personId: leaId, channel: 'telegram' },
      include: { consentEvents: { orderBy: { at: 'asc' } } },
    });
    expect(after.optedOutAt).not.toBeNull();
    expect(after.consentEvents.map((e) => [e.action, e.source])).toEqual([
      ['granted', 'telegram:link'],
      ['opted_out', 'telegram:STOP'],
    ]);
    const second = await api('/api/consultations', {
      group: 'usagers-niort',
      flow: 'mobilite-forum',
      deadline: '2026-03-10T18:00:00+01:00',
      title: 'Deuxième consultation',
    });
    expect(second.status).toBe(201);
    await deliver(relais);
    expect(newCalls()).toEqual([]);
    // She still agreed to SMS: that is where the second consultation reached her.
    const invite = await db.prisma.consultationInvite.findFirstOrThrow({
      where: { consultationId: second.body.id },
    });
    expect(invite.channel).toBe('sms');
  });
});
