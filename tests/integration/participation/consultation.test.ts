// A consultation for a group of 20 people, end to end on the web channel: launch through
// the HTTP API, invitations, answers (buttons and typed), reminders and the deadline with
// a controlled clock, anonymous results and their CSV.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relais } from '../../../src/app.js';
import { MINUTE, testClock } from '../../support/clock.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../../support/db.js';
import { type GroupFixture, groupWithMembers } from '../../support/fixtures.js';
import { startTestRelais } from '../../support/relais.js';

// Monday 2 March 2026, 09:00 in Paris.
const clock = testClock('2026-03-02T08:00:00Z');
let db: TestDatabase;
let relais: Relais;
let group: GroupFixture;
let consultationId: string;

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked by the assertions.
type Json = any;

async function api(
  path: string,
  init: { method?: string; body?: unknown; token?: string } = {},
): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${relais.url}${path}`, {
    method: init.method ?? (init.body ? 'POST' : 'GET'),
    headers: {
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...(init.token !== undefined ? { authorization: `Bearer ${init.token}` } : {}),
    },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, body: type.includes('json') ? await res.json() : await res.text() };
}

let counter = 0;
/** A person writes or presses a button in the web chat. */
async function say(member: number, answer: { text?: string; buttonData?: string }) {
  const identityId = group.members[member]?.identityId;
  const res = await api('/chat/api/messages', {
    body: { identityId, ...answer, clientMessageId: `msg-${++counter}-abcdefgh` },
  });
  expect(res.status).toBe(200);
  return res.body.outcome as string;
}

async function outbound(member: number) {
  const rows = await db.prisma.message.findMany({
    where: { identityId: group.members[member]?.identityId, direction: 'outbound' },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return rows;
}

beforeAll(async () => {
  db = await createTestDatabase();
  relais = await startTestRelais(db, {}, { clock });
  group = await groupWithMembers(db.prisma, 20);
});
afterAll(async () => {
  await relais?.stop();
  await db?.destroy();
});

describe(`a consultation of 20 people on the web channel (${usingPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('refuses a launch without a valid token, and names the problems of a bad request', async () => {
    expect((await api('/api/consultations', { body: {} })).status).toBe(401);
    expect((await api('/api/consultations', { body: {}, token: 'rls_forged' })).status).toBe(401);
    const bad = await api('/api/consultations', {
      token: group.token,
      body: { group: 'groupe-test', flow: 'mobilite-forum', deadline: 'next friday' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.problems).toEqual([
      'deadline: an ISO 8601 date-time, e.g. 2026-12-15T18:00:00+01:00',
    ]);
    const unknown = await api('/api/consultations', {
      token: group.token,
      body: { group: 'nope', flow: 'mobilite-forum', deadline: '2026-03-09T18:00:00+01:00' },
    });
    expect(unknown).toEqual({
      status: 404,
      body: { error: 'no group "nope" in this organisation' },
    });
  });

  it('invites every member on their channel with the voluntary notice first', async () => {
    const res = await api('/api/consultations', {
      token: group.token,
      body: { group: 'groupe-test', flow: 'mobilite-forum', deadline: '2026-03-09T17:00:00Z' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      invited: 20,
      unreachable: 0,
      // Defaults: 3 days after launch, 48 hours before the deadline.
      reminders: ['2026-03-05T08:00:00.000Z', '2026-03-07T17:00:00.000Z'],
    });
    consultationId = res.body.id;
    const report = await relais.services.dispatcher.drain();
    expect(report).toMatchObject({ claimed: 40, sent: 40, failed: 0 });
    const first = await outbound(0);
    expect(first.map((m) => m.body)).toEqual([
      expect.stringContaining(
        'Répondre est libre. Cela ne change rien à vos droits ni à votre allocation.',
      ),
      'Comment vous déplacez-vous ?',
    ]);
    expect(first[1]?.payload).toMatchObject({
      buttons: [
        { label: 'Marche ou vélo', data: 'f:mode:walk' },
        { label: 'En voiture', data: 'f:mode:car' },
        { label: 'Bus, car ou train', data: 'f:mode:transit' },
        { label: "On m'emmène", data: 'f:mode:lift' },
        { label: 'Je sors très peu', data: 'f:mode:little' },
      ],
    });
  });

  it('takes answers by button and typed text, asks again when unclear', async () => {
    clock.advance(2 * 60 * MINUTE);
    // Twelve people answer everything. Their answers, question by question:
    const complete: [string, string, string, string, string | null, string][] = [
      // mode, barriers, difficulty, forum, time of day, idea
      ['f:mode:car', '3', '2', 'oui', 'le matin', 'Un minibus le mardi'],
      ['voiture', '3 et 5', '4', 'oui', 'f:when:afternoon', 'Aider à payer le permis'],
      ['2', '1, 2', '5', 'non', null, 'Des horaires de bus plus tard'],
      ['f:mode:transit', 'horaires', '3', 'non', null, 'non'],
      ['3', '4', '1', 'Ouais', 'Peu importe', 'Covoiturage entre voisins'],
      ['bus', '4 5', '2', 'NON', null, '=HYPERLINK("http://x")'],
      ['1', '6', '1', 'non', null, 'non'],
      ['à pied', 'rien', '1', 'non', null, 'Plus de pistes cyclables'],
      ['f:mode:lift', '1 2', '5', 'non', null, 'Un transport solidaire'],
      ['4', '2', '4', 'non', null, 'non'],
      ['5', '5', '3', 'non', null, 'Des permanences dans les villages'],
      ['peu', 'loin', '5', 'non', null, 'non'],
    ];
    for (const [i, answers] of complete.entries()) {
      for (const answer of answers) {
        if (answer === null) continue;
        const outcome = await say(
          i,
          answer.startsWith('f:') ? { buttonData: answer } : { text: answer },
        );
        expect(outcome).toBe('answered');
      }
    }
    // Three people answer the first question only, one of them after a miss.
    expect(await say(12, { text: 'je sais pas trop' })).toBe('answered');
    const retry = (await outbound(12)).at(-1);
    expect(retry?.body).toBe("Je n'ai pas compris. Touchez une réponse.");
    await say(12, { text: '2' });
    await say(13, { buttonData: 'f:mode:walk' });
    await say(14, { text: 'En voiture' });
    // An old button pressed again changes nothing and says so.
    expect(await say(0, { buttonData: 'f:mode:walk' })).toBe('stale');
    expect((await outbound(0)).at(-1)?.body).toBe(
      'Ce questionnaire est terminé. Merci pour vos réponses !',
    );

    const invites = await db.prisma.consultationInvite.findMany({ where: { consultationId } });
    expect(invites.filter((i) => i.responded).length).toBe(15);
    const responses = await db.prisma.consultationResponse.findMany({ where: { consultationId } });
    expect(responses.filter((r) => r.completed).length).toBe(12);
  });

  it('reminds non-respondents at most twice, then closes at the deadline', async () => {
    const fires = relais.services.fires;
    const dispatcher = relais.services.dispatcher;
    await dispatcher.drain();
    const before = await db.prisma.message.count({ where: { direction: 'outbound' } });

    clock.set('2026-03-05T08:01:00Z');
    await fires.runDue();
    const firstRound = await db.prisma.message.findMany({
      where: { direction: 'outbound', body: { startsWith: 'Rappel' } },
    });
    // The five who never answered, and only them.
    expect(firstRound).toHaveLength(5);
    const silent = group.members
      .slice(15)
      .map((m) => m.identityId)
      .sort();
    expect(firstRound.map((m) => m.identityId).sort()).toEqual(silent);
    expect(firstRound[0]?.body).toBe(
      'Rappel : votre avis compte. Vous pouvez encore répondre.\n\nComment vous déplacez-vous ?',
    );

    // Running the scheduler again at the same time sends nothing more.
    await fires.runDue();
    expect(await db.prisma.message.count({ where: { body: { startsWith: 'Rappel' } } })).toBe(5);

    clock.set('2026-03-07T17:00:00Z');
    await fires.runDue();
    expect(await db.prisma.message.count({ where: { body: { startsWith: 'Rappel' } } })).toBe(10);

    // One of them answers after the second reminder.
    expect(await say(15, { text: '1' })).toBe('answered');

    clock.set('2026-03-09T17:00:00Z');
    await fires.runDue();
    const consultation = await db.prisma.consultation.findUniqueOrThrow({
      where: { id: consultationId },
    });
    expect(consultation.status).toBe('closed');
    const runs = await db.prisma.flowRun.groupBy({
      by: ['status'],
      where: { contextId: consultationId },
      _count: true,
    });
    expect(Object.fromEntries(runs.map((r) => [r.status, r._count]))).toEqual({
      completed: 12,
      expired: 8,
    });
    await dispatcher.drain();
    // No third reminder, nothing sent at the deadline itself.
    const after = await db.prisma.message.count({ where: { direction: 'outbound' } });
    // Ten reminders, and the next question for the one who answered.
    expect(after - before).toBe(10 + 1);
    // An answer after the deadline gets the polite "finished" line and changes nothing.
    expect(await say(16, { text: '1' })).toBe('closed');
    expect((await outbound(16)).at(-1)?.body).toBe(
      "Cette consultation est terminée : il n'est plus possible d'y répondre. Merci pour votre participation.",
    );
    expect(await db.prisma.message.count({ where: { direction: 'outbound' } })).toBe(after + 1);
  });

  it('reports results without identity and hides questions under the threshold', async () => {
    const res = await api(`/api/consultations/${consultationId}/results`, { token: group.token });
    expect(res.status).toBe(200);
    const r = res.body;
    expect(r).toMatchObject({ invited: 20, responded: 16, completed: 12, responseRate: 0.8 });
    const q = Object.fromEntries(r.questions.map((x: { result: string }) => [x.result, x]));
    expect(q.mode.answers).toBe(16);
    expect(q.mode.options).toEqual([
      { id: 'walk', label: 'Marche ou vélo', count: 4, percent: 25 },
      { id: 'car', label: 'En voiture', count: 5, percent: 31.3 },
      { id: 'transit', label: 'Bus, car ou train', count: 3, percent: 18.8 },
      { id: 'lift', label: "On m'emmène", count: 2, percent: 12.5 },
      { id: 'little', label: 'Je sors très peu', count: 2, percent: 12.5 },
    ]);
    expect(q.barriers.answers).toBe(12);
    expect(q.barriers.options.map((o: { count: number }) => o.count)).toEqual([2, 3, 2, 3, 4, 2]);
    expect(q.barriers.dropOff).toBe(4);
    expect(q.difficulty.scale).toEqual({
      min: 1,
      max: 5,
      distribution: { '1': 3, '2': 2, '3': 2, '4': 2, '5': 3 },
      mean: 3,
    });
    expect(q.forum.options).toEqual([
      { id: 'yes', label: 'Oui', count: 3, percent: 25 },
      { id: 'no', label: 'Non', count: 9, percent: 75 },
    ]);
    // Three answers only: under the threshold of 5, nothing is shown.
    expect(q.time_of_day).toMatchObject({ answers: null, suppressed: true });
    expect(q.time_of_day.options).toBeUndefined();
    expect(q.idea.texts).toHaveLength(12);
    expect(q.idea.texts).toContain('Un minibus le mardi');

    // Stored apart from identity: no person id, no named result, no answers left on runs.
    const responses = await db.prisma.consultationResponse.findMany({ where: { consultationId } });
    const personIds = new Set(group.members.map((m) => m.personId));
    for (const row of responses) expect(personIds.has(row.responseKey)).toBe(false);
    expect(await db.prisma.flowResult.count()).toBe(0);
    const finished = await db.prisma.flowRun.findMany({
      where: { contextId: consultationId, status: 'completed' },
    });
    for (const run of finished) expect((run.state as { results: object }).results).toEqual({});
  });

  it('exports a CSV that French Excel opens, with formulas neutralised', async () => {
    const res = await fetch(`${relais.url}/api/consultations/${consultationId}/results.csv`, {
      headers: { authorization: `Bearer ${group.token}` },
    });
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes).slice(1);
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('question;intitulé;réponse;nombre;pourcentage');
    expect(lines).toContain('mode;Comment vous déplacez-vous ?;En voiture;5;31,3');
    expect(lines).toContain(
      'time_of_day;À quel moment de la journée ?;moins de 5 réponses : non affiché;;',
    );
    expect(text).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(text).not.toMatch(/;=HYPERLINK/);
  });
});
