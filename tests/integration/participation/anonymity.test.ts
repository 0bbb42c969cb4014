// After an anonymous consultation (and a free avis), nothing in a row that names the person
// says how they answered or when: no answer text on their inbound messages, no question
// that showed their branch on the outbound ones once sent, no named result, no results left
// on the run, and on the invitation only whether they answered. The answers themselves sit
// under a key that does not name them, with random ids and the day only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relais } from '../../../src/app.js';
import { HOUR, testClock } from '../../support/clock.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../../support/db.js';
import { type GroupFixture, groupWithMembers } from '../../support/fixtures.js';
import { startTestRelais } from '../../support/relais.js';

// Tuesday 10 March 2026, 10:00 in Paris: inside the sending window.
const clock = testClock('2026-03-10T09:00:00Z');
let db: TestDatabase;
let relais: Relais;
let group: GroupFixture;
let consultationId: string;

// What each person types, question after question (mobilite-forum), on SMS.
const ANSWERS = [
  ['voiture', '1 3', '5', 'oui', 'le matin', 'Un minibus le mardi'],
  ['1', 'horaires', '1', 'non', 'Des bus plus tard le soir'],
  ['en bus', '2', '4', '2', 'Covoiturage entre voisins'],
  ['peu', 'loin', '2', '1', 'midi', 'non'],
  ['5', '5', '3', 'non', 'Une navette vers le marché'],
];
const TYPED = ANSWERS.flat();

let counter = 0;
async function sms(member: number, text: string) {
  const m = group.members[member];
  if (!m) throw new Error('no such member');
  clock.advance(60_000);
  const outcome = await relais.services.conversations.handleInbound({
    channel: 'sms',
    address: m.address,
    text,
    providerMessageId: `sms-in-${++counter}`,
    receivedAt: clock(),
  });
  await relais.services.dispatcher.drain();
  return outcome;
}

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

beforeAll(async () => {
  db = await createTestDatabase();
  relais = await startTestRelais(db, {}, { clock });
  // Six people on SMS (the log provider): five answer, one never does.
  group = await groupWithMembers(db.prisma, 6, { channel: 'sms' });
});
afterAll(async () => {
  await relais?.stop();
  await db?.destroy();
});

describe(`anonymity of what people answered (${usingPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('keeps no answer, no branch and no answer time next to the person after a consultation', async () => {
    const launch = await relais.services.consultations.launch({
      organisationId: group.organisationId,
      group: group.groupCode,
      flowId: 'mobilite-forum',
      deadline: new Date(clock().getTime() + 5 * 24 * HOUR),
    });
    consultationId = launch.consultation.id;
    const launchedAt = launch.consultation.launchedAt;
    await relais.services.dispatcher.drain();
    for (const [i, answers] of ANSWERS.entries()) {
      for (const answer of answers) expect(await sms(i, answer)).toBe('answered');
    }
    // Everything the people were sent went out (the log provider takes it at once).
    const personIds = group.members.map((m) => m.personId);
    expect(
      await db.prisma.message.count({
        where: { personId: { in: personIds }, direction: 'outbound', status: { not: 'sent' } },
      }),
    ).toBe(0);

    clock.set(new Date(launch.consultation.deadline?.getTime() as number));
    await relais.services.fires.runDue();
    await relais.services.dispatcher.drain();

    // Messages: the rows stay (deduplication, counting), their words do not.
    const messages = await db.prisma.message.findMany({
      where: { personId: { in: personIds } },
    });
    const inbound = messages.filter((m) => m.direction === 'inbound');
    expect(inbound).toHaveLength(TYPED.length);
    for (const m of inbound) {
      expect(m.body).toBe('');
      expect(m.payload).toEqual({ redacted: true });
    }
    const outbound = messages.filter((m) => m.direction === 'outbound');
    expect(outbound.length).toBeGreaterThan(TYPED.length);
    for (const m of outbound) {
      expect(m.body).toBe('');
      expect(m.payload).toEqual({ redacted: true });
    }
    for (const m of messages) {
      for (const word of TYPED.filter((t) => t.length > 3)) expect(m.body).not.toContain(word);
    }

    // No named result, no result left on the runs, no time beyond the invitation's own.
    const runs = await db.prisma.flowRun.findMany({ where: { personId: { in: personIds } } });
    expect(runs).toHaveLength(6);
    expect(
      await db.prisma.flowResult.count({ where: { runId: { in: runs.map((r) => r.id) } } }),
    ).toBe(0);
    for (const run of runs) {
      expect(run.status === 'completed' || run.status === 'expired').toBe(true);
      expect((run.state as { results: object }).results).toEqual({});
      expect(run.currentNodeId).toBeNull();
    }
    const invites = await db.prisma.consultationInvite.findMany({ where: { consultationId } });
    expect(invites.map((i) => i.responded).sort()).toEqual([false, true, true, true, true, true]);
    for (const invite of invites) {
      // The invitation's time is the launch, the same for everybody; nothing else is dated.
      expect(invite.invitedAt).toEqual(launchedAt);
      expect(Object.keys(invite).sort()).toEqual([
        'channel',
        'consultationId',
        'id',
        'invitedAt',
        'personId',
        'remindersSent',
        'responded',
        'runId',
        'unreachable',
      ]);
    }

    // The answers: under a key that is not the person, random ids, the day only.
    const responses = await db.prisma.consultationResponse.findMany({
      where: { consultationId },
      include: { answers: true },
    });
    expect(responses).toHaveLength(5);
    for (const r of responses) {
      expect(personIds).not.toContain(r.responseKey);
      expect(r.id).toMatch(V4);
      expect(r.day.toISOString()).toBe('2026-03-10T00:00:00.000Z');
      for (const a of r.answers) expect(a.id).toMatch(V4);
    }
    const report = await relais.services.consultations.report(group.organisationId, consultationId);
    expect(report).toMatchObject({ invited: 6, responded: 5, completed: 5 });
    expect(report.questions.find((q) => q.result === 'idea')?.texts).toContain(
      'Un minibus le mardi',
    );
  });

  it('keeps an avis apart from the person too: no named result, the day only', async () => {
    clock.set('2026-03-17T09:00:00Z');
    expect(await sms(5, 'AVIS')).toBe('started');
    expect(await sms(5, 'logement')).toBe('answered');
    expect(await sms(5, 'Les loyers sont trop chers pour nous')).toBe('answered');
    const person = group.members[5]?.personId as string;
    const run = await db.prisma.flowRun.findFirstOrThrow({
      where: { personId: person, flowId: 'avis-libre' },
    });
    expect(run.status).toBe('completed');
    expect((run.state as { results: object }).results).toEqual({});
    expect(await db.prisma.flowResult.count({ where: { runId: run.id } })).toBe(0);
    const avis = await db.prisma.avis.findFirstOrThrow({ where: { theme: 'logement' } });
    expect(avis.text).toBe('Les loyers sont trop chers pour nous');
    expect(avis.id).toMatch(V4);
    expect(avis.createdAt.toISOString()).toBe('2026-03-17T00:00:00.000Z');
    const rows = await db.prisma.message.findMany({
      where: { personId: person, createdAt: { gte: new Date('2026-03-17T00:00:00Z') } },
      // Ids are time-ordered: the order they came in (an updated row may move on disk).
      orderBy: { id: 'asc' },
    });
    // "AVIS" is a keyword, not an answer; what came after it is gone.
    expect(rows.filter((m) => m.direction === 'inbound').map((m) => m.body)).toEqual([
      'AVIS',
      '',
      '',
    ]);
    for (const m of rows.filter((r) => r.direction === 'outbound')) expect(m.body).toBe('');
    // The facilitators are told, without the person's name.
    const told = await db.prisma.message.findFirstOrThrow({
      where: { personId: group.facilitator.personId, direction: 'outbound' },
    });
    expect(told.body).toBe(
      "Nouvel avis reçu (thème : Logement) dans le groupe Groupe d'usagers test.",
    );
  });

  it('on the web chat, blanks a message once the page has read it', async () => {
    const web = await groupWithMembers(db.prisma, 1, { slug: 'web-dept' });
    const member = web.members[0];
    if (!member) throw new Error('no member');
    await relais.services.consultations.launch({
      organisationId: web.organisationId,
      group: web.groupCode,
      flowId: 'mobilite-forum',
      deadline: new Date(clock().getTime() + 5 * 24 * HOUR),
    });
    await relais.services.dispatcher.drain();
    const read = async () =>
      (await (
        await fetch(`${relais.url}/chat/api/messages?identityId=${member.identityId}`)
      ).json()) as { text: string; direction: string; ref?: string; redacted: boolean }[];
    // The page gets the texts once...
    const first = await read();
    expect(first.map((m) => m.text)).toEqual([
      expect.stringContaining('Répondre est libre.'),
      'Comment vous déplacez-vous ?',
    ]);
    // ...and the database keeps them no longer.
    const stored = await db.prisma.message.findMany({ where: { personId: member.personId } });
    expect(stored.map((m) => m.body)).toEqual(['', '']);
    const answer = await fetch(`${relais.url}/chat/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        identityId: member.identityId,
        text: 'voiture',
        clientMessageId: 'web-answer-1',
      }),
    });
    expect(await answer.json()).toEqual({ outcome: 'answered' });
    const after = await read();
    // The page shows its own copy of the answer: the row only says which one it was.
    expect(after.find((m) => m.direction === 'inbound')).toMatchObject({
      text: '',
      ref: 'web-answer-1',
      redacted: true,
    });
    expect(after.at(-1)?.text).toContain('pose problème');
  });
});
