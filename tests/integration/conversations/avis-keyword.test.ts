// AVIS is a keyword at any time: in the middle of a consultation, the consultation waits
// (its timeouts and reminders too), the avis runs, then the consultation picks up where it
// was with its current question again.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relais } from '../../../src/app.js';
import { testClock } from '../../support/clock.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../../support/db.js';
import { type GroupFixture, groupWithMembers } from '../../support/fixtures.js';
import { startTestRelais } from '../../support/relais.js';

const clock = testClock('2026-03-10T09:00:00Z');
let db: TestDatabase;
let relais: Relais;
let group: GroupFixture;

function say(member: number, text: string) {
  clock.advance(60_000);
  return relais.services.conversations.handleInbound({
    channel: 'web',
    address: group.members[member]?.address as string,
    text,
    providerMessageId: randomUUID(),
    receivedAt: clock(),
  });
}

async function sentSince(member: number, since: Date): Promise<string[]> {
  const rows = await db.prisma.message.findMany({
    where: {
      identityId: group.members[member]?.identityId,
      direction: 'outbound',
      createdAt: { gt: since },
    },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return rows.map((m) => m.body);
}

beforeAll(async () => {
  db = await createTestDatabase();
  relais = await startTestRelais(db, {}, { clock });
  group = await groupWithMembers(db.prisma, 2);
});
afterAll(async () => {
  await relais?.stop();
  await db?.destroy();
});

describe(`AVIS during a consultation (${usingPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('puts the consultation aside for the avis, then picks it up at its question', async () => {
    const { consultation } = await relais.services.consultations.launch({
      organisationId: group.organisationId,
      group: group.groupCode,
      flowId: 'mobilite-forum',
      deadline: new Date('2026-03-20T17:00:00Z'),
    });
    expect(await say(0, 'voiture')).toBe('answered');
    const consultationRun = await db.prisma.flowRun.findFirstOrThrow({
      where: { contextId: consultation.id, personId: group.members[0]?.personId },
    });
    expect(consultationRun.currentNodeId).toBe('barriers');

    let since = clock();
    expect(await say(0, 'Avis')).toBe('started');
    expect(await sentSince(0, since)).toEqual([
      "D'accord, donnez votre avis. Ensuite, nous reprendrons le questionnaire en cours.",
      'Merci de donner votre avis ! De quel sujet voulez-vous parler ?',
    ]);

    // A wait timeout of the consultation meanwhile is tried again later, not applied now.
    const fire = await db.prisma.scheduledFire.create({
      data: {
        organisationId: group.organisationId,
        kind: 'flow.timeout',
        dueAt: clock(),
        subjectType: 'run',
        subjectId: consultationRun.id,
        subjectVersion: consultationRun.stepCount,
        payload: { nodeId: 'barriers' },
      },
    });
    expect(await relais.services.conversations.handleRunFire(fire)).toBe('skipped');
    const later = await db.prisma.scheduledFire.findFirstOrThrow({
      where: { dedupeKey: `postponed:${fire.id}` },
    });
    expect(later.dueAt.getTime()).toBe(clock().getTime() + 3_600_000);

    expect(await say(0, 'logement')).toBe('answered');
    since = clock();
    expect(await say(0, 'Les loyers montent trop vite')).toBe('answered');
    expect(await sentSince(0, since)).toEqual([
      'Merci ! Votre avis sera lu par les animateurs du groupe, sans votre nom.',
      "Reprenons le questionnaire là où vous en étiez.\n\nQu'est-ce qui vous pose problème pour vous déplacer ?\nTouchez une réponse, ou écrivez les numéros de plusieurs réponses.",
    ]);
    expect(await db.prisma.avis.count({ where: { theme: 'logement' } })).toBe(1);

    // The next answer is the consultation's again.
    expect(await say(0, '1 2')).toBe('answered');
    const after = await db.prisma.flowRun.findUniqueOrThrow({ where: { id: consultationRun.id } });
    expect(after.currentNodeId).toBe('hard');
    // And the postponed timeout, now stale, does nothing.
    clock.set(later.dueAt);
    expect(await relais.services.conversations.handleRunFire(later)).toBe('skipped');
    expect(
      (await db.prisma.flowRun.findUniqueOrThrow({ where: { id: consultationRun.id } }))
        .currentNodeId,
    ).toBe('hard');
  });

  it('starts the avis at once when nothing is in progress, whatever the case or punctuation', async () => {
    const since = clock();
    expect(await say(1, 'QUITTER')).toBe('left');
    expect(await say(1, ' avis ! ')).toBe('started');
    expect(await sentSince(1, since)).toEqual([
      'Merci de donner votre avis ! De quel sujet voulez-vous parler ?',
    ]);
  });
});
