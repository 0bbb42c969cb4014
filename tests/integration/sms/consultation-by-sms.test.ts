// A whole consultation by SMS only, through the Brevo fake: the invitation, numbered
// answers typed on a phone keypad, the thanks, then "STOP" — and nothing after it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Relais } from '../../../src/app.js';
import { seed } from '../../../src/seed/seed.js';
import { type TestClock, testClock } from '../../support/clock.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { type BrevoSent, type FakeBrevo, startFakeBrevo } from '../../support/fakes/brevo.js';
import { startTestRelais } from '../../support/relais.js';
import { hookUrl, WEBHOOK_SECRET, WEEKDAY_MORNING } from '../../support/sms.js';

let db: TestDatabase;
let brevo: FakeBrevo;
let relais: Relais;
let clock: TestClock;

beforeEach(async () => {
  brevo = await startFakeBrevo();
  db = await createTestDatabase();
  await seed(db.prisma);
  await db.prisma.organisation.update({
    where: { slug: 'deux-sevres' },
    data: { smsProvider: 'brevo' },
  });
  clock = testClock(WEEKDAY_MORNING);
  relais = await startTestRelais(
    db,
    {
      BREVO_API_KEY: brevo.apiKey,
      BREVO_API_URL: brevo.url,
      SMS_WEBHOOK_SECRET: WEBHOOK_SECRET,
      PUBLIC_URL: 'http://127.0.0.1:9',
    },
    { clock },
  );
});
afterEach(async () => {
  await relais.stop();
  await db.destroy();
  await brevo.close();
});

/** What a person would type on a phone for this question. */
function answerFor(question: string): string {
  if (/OUI \(1\) ou NON/i.test(question)) return 'oui';
  if (/plusieurs num[ée]ros/i.test(question)) return '2 4';
  if (/de 1 [àa] 5/i.test(question)) return '4';
  if (/R[ée]pondez 1/i.test(question)) return '3';
  return 'Plus de bus le soir, et moins cher';
}

describe('a consultation by SMS only', () => {
  it('goes from the invitation to the thanks with numbered answers, then STOP ends everything', async () => {
    const org = await db.prisma.organisation.findUniqueOrThrow({ where: { slug: 'deux-sevres' } });
    const { consultation, invited } = await relais.services.consultations.launch({
      organisationId: org.id,
      group: 'usagers-departemental',
      flowId: 'mobilite-forum',
      deadline: new Date(clock().getTime() + 10 * 86_400_000),
    });
    expect(invited).toBeGreaterThan(3);
    await relais.services.dispatcher.drain();
    // Every member was invited by SMS (the introduction and the first question).
    const phones = [...new Set(brevo.sent.map((s) => s.recipient))];
    expect(phones.length).toBe(invited);
    const phone = phones[0] as string;
    const to = (p: string) => brevo.sent.filter((s) => s.recipient === p);
    expect(to(phone)[0]?.content).toMatch(/Votre avis compte/);
    expect(to(phone)[1]?.content).toMatch(/Comment vous deplacez-vous|Comment vous déplacez-vous/);
    expect(to(phone)[1]?.content).toMatch(/Repondez 1, 2, 3, 4 ou 5|Répondez 1, 2, 3, 4 ou 5/);

    const url = hookUrl(relais, 'brevo', 'events');
    const answers: string[] = [];
    let last: BrevoSent | undefined = to(phone).at(-1);
    for (let turn = 0; turn < 12 && last && !/Merci pour vos r/i.test(last.content); turn++) {
      const answer = answerFor(last.content);
      answers.push(answer);
      clock.advance(60_000);
      expect(await brevo.reply(url, `+${phone}`, answer, last)).toBe(200);
      await relais.services.dispatcher.drain();
      last = to(phone).at(-1);
    }
    expect(last?.content).toMatch(/Merci pour vos r/);
    expect(answers[0]).toBe('3');
    expect(answers).toContain('2 4');
    expect(answers).toContain('4');

    // The answers are filed, anonymously, and the person counts as having completed.
    const report = await relais.services.consultations.report(org.id, consultation.id);
    expect(report).toMatchObject({ invited, responded: 1 });
    const responses = await db.prisma.consultationResponse.findMany({
      where: { consultationId: consultation.id },
      include: { answers: true },
    });
    expect(responses).toHaveLength(1);
    expect(responses[0]?.completed).toBe(true);
    expect(responses[0]?.answers.find((a) => a.name === 'mode')?.category).toBe('transit');

    // STOP: one confirmation, then nothing more, not even the consultation's reminders.
    const before = to(phone).length;
    expect(await brevo.reply(url, `+${phone}`, 'STOP', last)).toBe(200);
    await relais.services.dispatcher.drain();
    expect(to(phone)).toHaveLength(before + 1);
    expect(to(phone).at(-1)?.content).toMatch(/ne recevrez plus/);
    const identity = await db.prisma.channelIdentity.findFirstOrThrow({
      where: { channel: 'sms', address: `+${phone}` },
    });
    expect(identity.optedOutAt).not.toBeNull();

    clock.advance(9 * 86_400_000);
    await relais.services.fires.runDue(clock());
    await relais.services.dispatcher.drain();
    expect(to(phone)).toHaveLength(before + 1);
    // Everyone else who did not answer was reminded by SMS meanwhile.
    expect(to(phones[1] as string).some((s) => /Rappel/.test(s.content))).toBe(true);
    // Every SMS went through Brevo, each once.
    expect(new Set(brevo.sent.map((s) => s.tag)).size).toBe(brevo.sent.length);
  });
});
