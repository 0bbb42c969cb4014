// The conversation layer with the real engine, flows and database: keywords, misses,
// timeouts, avis routing, duplicates and concurrent answers.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Relais } from '../../../src/app.js';
import { DAY, testClock } from '../../support/clock.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../../support/db.js';
import { type GroupFixture, groupWithMembers } from '../../support/fixtures.js';
import { startTestRelais } from '../../support/relais.js';

const clock = testClock('2026-03-02T08:00:00Z');
let db: TestDatabase;
let relais: Relais;
let group: GroupFixture;

beforeAll(async () => {
  db = await createTestDatabase();
  relais = await startTestRelais(db, {}, { clock });
  group = await groupWithMembers(db.prisma, 9);
});
afterAll(async () => {
  await relais?.stop();
  await db?.destroy();
});

function inbound(member: number, answer: { text?: string; buttonData?: string; id?: string }) {
  const m = group.members[member];
  if (!m) throw new Error(`no member ${member}`);
  return relais.services.conversations.handleInbound({
    channel: 'web',
    address: m.address,
    text: answer.text,
    buttonData: answer.buttonData,
    providerMessageId: answer.id ?? randomUUID(),
    receivedAt: clock(),
  });
}

async function lastOutbound(member: number): Promise<string | undefined> {
  const row = await db.prisma.message.findFirst({
    where: { identityId: group.members[member]?.identityId, direction: 'outbound' },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  return row?.body;
}

async function start(member: number, flowId: string) {
  const m = group.members[member];
  if (!m) throw new Error(`no member ${member}`);
  return relais.services.conversations.startRun({
    personId: m.personId,
    identityId: m.identityId,
    flowId,
    cause: `test:${randomUUID()}`,
  });
}

/** "2" then "2" in mobilite-forum: both applied, one after the other. */
async function expectBothAnswers(runId: string, stepsBefore: number) {
  const after = await db.prisma.flowRun.findUniqueOrThrow({
    where: { id: runId },
    include: { results: true },
  });
  expect(after.stepCount).toBe(stepsBefore + 2);
  expect(after.currentNodeId).toBe('hard');
  expect(Object.fromEntries(after.results.map((r) => [r.name, r.value]))).toEqual({
    mode: 'car',
    barriers: 'nocar',
  });
}

beforeEach(() => clock.set('2026-03-02T08:00:00Z'));

describe(`conversations (${usingPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('AIDE gives the human contact of the territory, with or without a run', async () => {
    expect(await inbound(0, { text: 'Aide' })).toBe('help');
    expect(await lastOutbound(0)).toBe(
      'Pour parler à une personne : Accueil insertion du Niortais, 01 99 00 79 04. Écrivez STOP pour ne plus recevoir de messages, QUITTER pour arrêter le questionnaire.',
    );
  });

  it('STOP opts out with one confirmation, nothing more is sent, START re-allows', async () => {
    const dispatcher = relais.services.dispatcher;
    await start(1, 'avis-guichet');
    expect(await inbound(1, { text: 'stop' })).toBe('stop');
    const identity = await db.prisma.channelIdentity.findUniqueOrThrow({
      where: { id: group.members[1]?.identityId },
      include: { consentEvents: true },
    });
    expect(identity.optedOutAt).not.toBeNull();
    expect(identity.consentEvents.map((e) => e.action)).toEqual(['opted_out']);
    // A second STOP does not send a second confirmation.
    expect(await inbound(1, { text: 'STOP' })).toBe('stop');
    await dispatcher.drain();
    const sent = await db.prisma.message.findMany({
      where: { identityId: identity.id, direction: 'outbound' },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    // The questionnaire's messages were still queued: they are not sent any more.
    expect(sent.filter((m) => m.status === 'sent').map((m) => m.body)).toEqual([
      "C'est noté : vous ne recevrez plus de messages ici. Pour reprendre, écrivez START.",
    ]);
    expect(
      sent.filter((m) => m.status === 'failed').every((m) => m.failureKind === 'opted_out'),
    ).toBe(true);
    // While opted out, an answer is kept but nothing is sent back.
    expect(await inbound(1, { text: '2' })).toBe('handled');
    expect(await inbound(1, { text: 'START' })).toBe('start');
    expect(await lastOutbound(1)).toBe(
      "C'est noté : vous recevrez à nouveau nos messages ici. Pour arrêter, écrivez STOP.",
    );
  });

  it('a word leaves the current questionnaire', async () => {
    const run = await start(2, 'mobilite-forum');
    expect(await inbound(2, { text: 'Quitter' })).toBe('left');
    expect((await db.prisma.flowRun.findUniqueOrThrow({ where: { id: run.id } })).status).toBe(
      'left',
    );
    expect(await inbound(2, { text: 'quitter' })).toBe('left');
    expect(await lastOutbound(2)).toBe("Il n'y a pas de questionnaire en cours.");
  });

  it('after two unclear answers, offers a human and moves on by the no-response path', async () => {
    const run = await start(3, 'mobilite-forum');
    await inbound(3, { text: 'euh' });
    expect(await lastOutbound(3)).toBe("Je n'ai pas compris. Touchez une réponse.");
    await inbound(3, { text: 'je ne sais pas' });
    const bodies = (
      await db.prisma.message.findMany({
        where: { identityId: group.members[3]?.identityId, direction: 'outbound' },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      })
    ).map((m) => m.body);
    expect(bodies.slice(-2)).toEqual([
      "Besoin d'aide ? Vous pouvez parler à une personne : Accueil insertion du Niortais, 01 99 00 79 04.",
      "Qu'est-ce qui vous pose problème pour vous déplacer ?\nTouchez une réponse, ou écrivez les numéros de plusieurs réponses.",
    ]);
    const after = await db.prisma.flowRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(after.currentNodeId).toBe('barriers');
    expect(await db.prisma.flowResult.count({ where: { runId: run.id, name: 'mode' } })).toBe(0);
  });

  it('a wait that times out follows its no-response path; a stale fire does nothing', async () => {
    const run = await start(4, 'mobilite-forum');
    for (const answer of ['1', '6', '1', 'non']) await inbound(4, { text: answer });
    expect(
      (await db.prisma.flowRun.findUniqueOrThrow({ where: { id: run.id } })).currentNodeId,
    ).toBe('idea');
    clock.advance(DAY);
    expect((await relais.services.fires.runDue()).done).toBe(0);
    clock.advance(DAY + 60_000);
    await relais.services.fires.runDue();
    const ended = await db.prisma.flowRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(ended.status).toBe('completed');
    expect(await lastOutbound(4)).toBe(
      'Merci pour vos réponses ! Elles aideront à préparer le forum. Votre nom ne sera pas donné.',
    );
    const fire = await db.prisma.scheduledFire.findFirstOrThrow({
      where: { subjectId: run.id, kind: 'flow.timeout', status: 'done' },
    });
    expect(fire.subjectVersion).toBeGreaterThan(0);
  });

  it('AVIS starts a free avis, routed to the facilitators without the name', async () => {
    expect(await inbound(5, { text: 'avis' })).toBe('started');
    await inbound(5, { buttonData: 'f:theme:mobilite' });
    await inbound(5, {
      text: "Le bus de 7h ne passe plus à Mauzé, c'est dur pour aller travailler.",
    });
    const avis = await db.prisma.avis.findMany();
    expect(avis).toHaveLength(1);
    expect(avis[0]).toMatchObject({
      organisationId: group.organisationId,
      groupId: group.groupId,
      theme: 'mobilite',
      text: "Le bus de 7h ne passe plus à Mauzé, c'est dur pour aller travailler.",
    });
    expect(Object.keys(avis[0] ?? {})).not.toContain('personId');
    const toFacilitator = await db.prisma.message.findFirstOrThrow({
      where: { identityId: group.facilitator.identityId, direction: 'outbound' },
    });
    expect(toFacilitator.body).toBe(
      "Nouvel avis reçu (thème : Se déplacer (mobilité)) dans le groupe Groupe d'usagers test.",
    );
    const res = await fetch(`${relais.url}/api/avis`, {
      headers: { authorization: `Bearer ${group.token}` },
    });
    expect(await res.json()).toEqual([
      expect.objectContaining({ theme: 'mobilite', group: 'groupe-test', voice: false }),
    ]);
  });

  it('an avis typed as "[voice:…]" stays text: only a real voice note is a voice avis', async () => {
    expect(await inbound(8, { text: 'avis' })).toBe('started');
    await inbound(8, { buttonData: 'f:theme:numerique' });
    await inbound(8, { text: '[voice:AwACAgQAAxkBAAIB]' });
    const avis = await db.prisma.avis.findFirstOrThrow({ where: { theme: 'numerique' } });
    expect(avis).toMatchObject({ text: '[voice:AwACAgQAAxkBAAIB]', voiceRef: null });
  });

  it('a message delivered twice at once is applied once', async () => {
    const run = await start(6, 'mobilite-forum');
    const outcomes = await Promise.all([
      inbound(6, { text: '2', id: 'same-message-id' }),
      inbound(6, { text: '2', id: 'same-message-id' }),
    ]);
    expect(outcomes.sort()).toEqual(['answered', 'duplicate']);
    const after = await db.prisma.flowRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(after.currentNodeId).toBe('barriers');
    expect(
      await db.prisma.message.count({
        where: { identityId: group.members[6]?.identityId, direction: 'inbound' },
      }),
    ).toBe(1);
  });

  it('two answers arriving together are applied one after the other', async () => {
    const run = await start(7, 'mobilite-forum');
    const before = (await db.prisma.flowRun.findUniqueOrThrow({ where: { id: run.id } })).stepCount;
    // "2" is a valid answer to both questions: whichever goes first, both apply, in turn.
    await Promise.all([inbound(7, { text: '2' }), inbound(7, { text: '2' })]);
    await expectBothAnswers(run.id, before);
  });

  it("one person's answers from two addresses in one batch are applied one after the other", async () => {
    const m = group.members[8];
    if (!m) throw new Error('no member 8');
    const person = await db.prisma.person.findUniqueOrThrow({ where: { id: m.personId } });
    const second = await db.prisma.channelIdentity.create({
      data: {
        organisationId: person.organisationId,
        personId: person.id,
        channel: 'web',
        address: `${m.address}:phone`,
        consent: 'granted',
        consentAt: clock(),
        consentSource: 'test',
      },
    });
    const run = await start(8, 'mobilite-forum');
    const before = (await db.prisma.flowRun.findUniqueOrThrow({ where: { id: run.id } })).stepCount;
    // On PostgreSQL member 5's message goes first, alone, and the two answers share the
    // next batch; on PGlite all three share one (gatherFirst). Either way, person 8 twice.
    const first = inbound(5, { text: 'bonjour' });
    const outcomes = await Promise.all([
      inbound(8, { text: '2' }),
      relais.services.conversations.handleInbound({
        channel: 'web',
        address: second.address,
        text: '2',
        providerMessageId: randomUUID(),
        receivedAt: clock(),
      }),
      first,
    ]);
    expect(outcomes.slice(0, 2)).toEqual(['answered', 'answered']);
    await expectBothAnswers(run.id, before);
  });
});
