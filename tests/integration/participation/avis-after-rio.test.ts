// "L'expérience au guichet" end to end: people recorded present at a RIO are invited on
// their channel (through the outbox: quiet hours hold it), answer anonymously, and an agent
// reads the results of the organisation's standing consultation, month by month. The
// organisation can turn it off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relais } from '../../../src/app.js';
import { HOUR, testClock } from '../../support/clock.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../../support/db.js';
import { type GroupFixture, groupWithMembers } from '../../support/fixtures.js';
import { startTestRelais } from '../../support/relais.js';

// Tuesday 10 March 2026, 11:00 in Paris.
const clock = testClock('2026-03-10T10:00:00Z');
let db: TestDatabase;
let relais: Relais;
let people: GroupFixture;

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked by the assertions.
type Json = any;
async function api(
  path: string,
  body?: unknown,
  method?: string,
): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${relais.url}${path}`, {
    method: method ?? (body ? 'POST' : 'GET'),
    headers: {
      authorization: `Bearer ${people.token}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

async function session(kind: 'rio' | 'workshop', startsAt: Date, members: number[]) {
  const a = await db.prisma.appointment.create({
    data: {
      organisationId: people.organisationId,
      kind,
      title: kind === 'rio' ? "Réunion d'information" : 'Atelier CV',
      startsAt,
    },
  });
  for (const i of members) {
    await db.prisma.participation.create({
      data: { appointmentId: a.id, personId: people.members[i]?.personId as string },
    });
  }
  return a.id;
}

const present = (members: number[], state = 'present') => ({
  attendance: members.map((i) => ({ person: people.members[i]?.personId, state })),
});

let counter = 0;
async function sms(member: number, text: string) {
  clock.advance(60_000);
  const outcome = await relais.services.conversations.handleInbound({
    channel: 'sms',
    address: people.members[member]?.address as string,
    text,
    providerMessageId: `rio-in-${++counter}`,
    receivedAt: clock(),
  });
  await relais.services.dispatcher.drain();
  return outcome;
}

const avisRuns = () =>
  db.prisma.flowRun.findMany({ where: { flowId: 'avis-guichet' }, orderBy: { startedAt: 'asc' } });

beforeAll(async () => {
  db = await createTestDatabase();
  relais = await startTestRelais(db, {}, { clock });
  people = await groupWithMembers(db.prisma, 8, { channel: 'sms' });
});
afterAll(async () => {
  await relais?.stop();
  await db?.destroy();
});

describe(`the avis on the welcome after a RIO (${usingPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  let standingId: string;

  it('invites the people recorded present, once, on their channel', async () => {
    const rio = await session('rio', new Date(clock().getTime() - HOUR), [0, 1, 2, 3, 4, 5]);
    const res = await api(`/api/appointments/${rio}/attendance`, {
      attendance: [...present([0, 1, 2, 3, 4]).attendance, ...present([5], 'absent').attendance],
    });
    expect(res).toEqual({ status: 200, body: { updated: 6, problems: [] } });
    // Recorded again (a corrected sheet): nobody is asked twice.
    expect((await api(`/api/appointments/${rio}/attendance`, present([0]))).status).toBe(200);
    // A workshop is not a RIO.
    const workshop = await session('workshop', new Date(clock().getTime() - HOUR), [6]);
    await api(`/api/appointments/${workshop}/attendance`, present([6]));

    const runs = await avisRuns();
    expect(runs.map((r) => r.personId).sort()).toEqual(
      [0, 1, 2, 3, 4].map((i) => people.members[i]?.personId).sort(),
    );
    expect(runs.every((r) => r.contextType === 'consultation' && r.channel === 'sms')).toBe(true);
    const report = await relais.services.dispatcher.drain();
    expect(report).toMatchObject({ sent: 10, failed: 0, deferred: 0 });
    const first = await db.prisma.message.findMany({
      where: { personId: people.members[0]?.personId, direction: 'outbound' },
      orderBy: { createdAt: 'asc' },
    });
    expect(first).toHaveLength(2);

    const list = await api('/api/consultations?flow=avis-guichet');
    expect(list.body).toEqual([
      expect.objectContaining({
        flow: 'avis-guichet',
        group: null,
        standing: true,
        anonymous: true,
        deadline: null,
        status: 'open',
      }),
    ]);
    standingId = list.body[0].id;
  });

  it('waits for the morning when attendance is recorded late in the evening', async () => {
    clock.set('2026-03-10T20:30:00Z'); // 21:30 in Paris
    const evening = await session('rio', new Date(clock().getTime() - HOUR), [7]);
    await api(`/api/appointments/${evening}/attendance`, present([7]));
    expect(await relais.services.dispatcher.drain()).toMatchObject({ sent: 0, deferred: 2 });
    const held = await db.prisma.message.findMany({
      where: { personId: people.members[7]?.personId, direction: 'outbound' },
    });
    expect(held.map((m) => m.notBefore.toISOString())).toEqual([
      '2026-03-11T07:00:00.000Z',
      '2026-03-11T07:00:00.000Z',
    ]);
  });

  it('takes the answers anonymously and shows the results of the month to an agent', async () => {
    clock.set('2026-03-11T08:00:00Z');
    await relais.services.dispatcher.drain();
    // welcome, clear, waiting, score, then a word (improve when the score is 2 or less).
    const answers = [
      ['bien', 'oui', '1', '5', 'Très bon accueil'],
      ['1', 'oui', 'moins de 15', '4', 'non'],
      ['moyen', '1', '2', '3', 'Trop de monde'],
      ['mal', 'non', 'longtemps', '1', "On ne m'a pas expliqué mes droits"],
      ['bien', '2', '3', '2', 'La salle était loin du bus'],
      ['bien', 'oui', '1', '4', 'Merci'],
    ];
    for (const [i, list] of answers.entries()) {
      const member = i === 5 ? 7 : i;
      for (const a of list) expect(await sms(member, a)).toBe('answered');
    }
    const runs = await avisRuns();
    expect(runs.map((r) => r.status)).toEqual(Array(6).fill('completed'));
    expect(await db.prisma.flowResult.count()).toBe(0);

    const res = await api(`/api/consultations/${standingId}/results?from=2026-03-01&to=2026-04-01`);
    expect(res.status).toBe(200);
    const r = res.body;
    expect(r).toMatchObject({ invited: 6, responded: 6, completed: 6, responseRate: 1 });
    expect(r.consultation).toMatchObject({
      flowId: 'avis-guichet',
      standing: true,
      deadline: null,
      period: { from: '2026-03-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' },
    });
    const q = Object.fromEntries(r.questions.map((x: { nodeId: string }) => [x.nodeId, x]));
    expect(q.welcome.options.map((o: { id: string; count: number }) => [o.id, o.count])).toEqual([
      ['good', 4],
      ['fair', 1],
      ['bad', 1],
    ]);
    expect(q.score.scale.mean).toBe(3.17);
    // Two words after a low score, four after the others: under 5, neither is shown.
    expect(q.improve).toMatchObject({ answers: null, suppressed: true });
    expect(q.comment).toMatchObject({ answers: null, suppressed: true });
    expect(JSON.stringify(r)).not.toContain('expliqué');
    // Another month: nothing yet.
    const april = await api(`/api/consultations/${standingId}/results?from=2026-04-01`);
    expect(april.body).toMatchObject({ invited: 0, responded: 0 });
    expect((await api(`/api/consultations/${standingId}/results?from=mars`)).status).toBe(400);
  });

  it('is set per organisation, on by default', async () => {
    expect((await api('/api/settings/participation')).body).toEqual({
      avisAfterRio: { enabled: true, flow: 'avis-guichet', minAnswers: 5 },
    });
    const wrong = await api(
      '/api/settings/participation',
      { avisAfterRio: { flow: 'nope' } },
      'PUT',
    );
    expect(wrong).toEqual({
      status: 400,
      body: { error: 'invalid request', problems: ['avisAfterRio.flow: no flow "nope" is loaded'] },
    });
    const off = await api(
      '/api/settings/participation',
      { avisAfterRio: { enabled: false } },
      'PUT',
    );
    expect(off.body.avisAfterRio.enabled).toBe(false);
    const rio = await session('rio', new Date(clock().getTime() - HOUR), [5]);
    await api(`/api/appointments/${rio}/attendance`, present([5]));
    expect(await avisRuns()).toHaveLength(6);
  });
});
