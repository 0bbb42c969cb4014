// The rest of the appointments API: JSON imports, a recurring series of individual
// rendez-vous (one convocation, then each date asked before it), a same-day move (urgent),
// a cancellation that offers other sessions, an appointment answer while a questionnaire
// runs, replies to questions sent together, settings, errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relais } from '../../../src/app.js';
import { createApiToken } from '../../../src/http/auth.js';
import { testClock } from '../../support/clock.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../../support/db.js';
import { startTestRelais } from '../../support/relais.js';

let db: TestDatabase;
let relais: Relais;
let token: string;
let orgId: string;
const clock = testClock('2026-03-02T08:00:00Z'); // Monday 09:00 in Niort
const phone = (i: number) => `+3361234${String(7000 + i)}`;

async function api(method: string, path: string, body?: unknown, auth = true) {
  const res = await fetch(`${relais.url}${path}`, {
    method,
    headers: {
      ...(auth ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers of the API under test
  const json: any = (res.headers.get('content-type') ?? '').includes('json')
    ? await res.json()
    : await res.text();
  return { status: res.status, body: json };
}

const reply = (i: number, text: string) =>
  relais.services.conversations.handleInbound({
    channel: 'sms',
    address: phone(i),
    text,
    providerMessageId: `m-${i}-${Math.random()}`,
    receivedAt: clock(),
  });

async function messagesTo(ref: string) {
  return db.prisma.message.findMany({
    where: { person: { externalRef: ref }, direction: 'outbound' },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  const org = await db.prisma.organisation.create({
    data: { slug: 'deux-sevres-rdv', name: 'Département des Deux-Sèvres', departementCode: '79' },
  });
  orgId = org.id;
  await db.prisma.territory.create({
    data: { organisationId: org.id, code: 'niortais', name: 'Niortais' },
  });
  await db.prisma.person.create({
    data: {
      organisationId: org.id,
      externalRef: 'REF-12',
      displayName: 'Mme Garnier',
      roles: ['referent'],
    },
  });
  token = await createApiToken(db.prisma, org.id, 'tests');
  relais = await startTestRelais(db, {}, { clock });
}, 120_000);
afterAll(async () => {
  await relais?.stop();
  await db?.destroy();
});

describe(`appointments API (${usingPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('refuses without a token and explains bad requests', async () => {
    expect((await api('GET', '/api/appointments', undefined, false)).status).toBe(401);
    const bad = await api('POST', '/api/appointments', { appointments: [{ kind: 'rio' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.problems[0]).toMatch(/^appointments\.0\.startsAt: /);
    const month = await api('GET', '/api/reports/indicators?from=2026-13&to=2026-03');
    expect(month.status).toBe(400);
    expect((await api('GET', '/api/follow-ups?kind=everything')).status).toBe(400);
    expect((await api('GET', '/api/appointments/nope')).status).toBe(404);
  });

  it('imports sessions and people from JSON, idempotently', async () => {
    const sessions = {
      appointments: [
        {
          ref: 'A1',
          kind: 'workshop',
          title: 'Atelier CV',
          startsAt: '09/03/2026 14:00',
          place: 'CSC Niort',
          capacity: 8,
          territory: 'niortais',
        },
        {
          ref: 'A2',
          kind: 'workshop',
          title: 'Atelier CV',
          startsAt: '2026-03-16T14:00:00+01:00',
          place: 'CSC Niort',
          capacity: 8,
          territory: 'niortais',
        },
        {
          ref: 'R1',
          kind: 'rio',
          startsAt: '02/03/2026 17:00',
          place: 'MDS Niort',
          capacity: 20,
          territory: 'niortais',
        },
      ],
    };
    const first = await api('POST', '/api/appointments', sessions);
    expect(first.status).toBe(201);
    expect(first.body.sessions).toEqual({ created: 3, updated: 0, moved: 0 });
    expect((await api('POST', '/api/appointments', sessions)).body.duplicate).toBe(true);

    const people = await api('POST', '/api/people', {
      people: [
        {
          ref: 'B1',
          firstName: 'Inès',
          phone: '06 12 34 70 01',
          territory: 'niortais',
          mode: 'convocation',
          session: 'A1',
        },
        {
          ref: 'B2',
          firstName: 'Tom',
          phone: '06 12 34 70 02',
          territory: 'niortais',
          mode: 'convocation',
          session: 'A1',
        },
        {
          ref: 'B3',
          firstName: 'Lina',
          phone: '06 12 34 70 03',
          territory: 'niortais',
          mode: 'convocation',
          session: 'R1',
        },
        {
          ref: 'B4',
          firstName: 'Yves',
          phone: '06 12 34 70 04',
          territory: 'niortais',
          orientedAt: '01/12/2025',
        },
        {
          ref: 'B5',
          firstName: 'Ana',
          phone: '06 12 34 70 05',
          territory: 'niortais',
          mode: 'convocation',
          session: 'NOPE',
        },
      ],
    });
    expect(people.status).toBe(201);
    expect(people.body.invalid).toEqual([{ line: 5, reason: 'no session with reference NOPE' }]);
    expect(people.body.cases).toMatchObject({ convoked: 3 });
    expect(await db.prisma.person.count({ where: { externalRef: 'B5' } })).toBe(0);
    await relais.services.fires.runDue();
    await relais.services.dispatcher.drain();
    expect((await messagesTo('B1'))[0]?.body).toBe(
      "Département 79 : Atelier CV le lundi 9 mars à 14h, CSC Niort. Répondez 1 si vous venez, 2 si vous ne pouvez pas, 3 pour qu'on vous appelle.",
    );
  });

  it('moves a session on its day: the people are told at once, even in the evening', async () => {
    clock.set('2026-03-02T16:30:00Z'); // 17:30, the RIO R1 is at 17:00... moved to 19:00
    const moved = await api('PATCH', '/api/appointments/R1', {
      startsAt: '2026-03-02T19:30:00+01:00',
    });
    expect(moved.body).toMatchObject({ version: 2, told: 1 });
    clock.set('2026-03-02T19:45:00Z'); // 20:45: quiet hours, but the change is urgent
    await relais.services.dispatcher.drain();
    const last = (await messagesTo('B3')).at(-1);
    expect(last).toMatchObject({ urgent: true, status: 'failed', failureKind: 'too_late' });
    // Too late here because 19:30 passed: urgency never sends after the start either.
    // Moved again the same evening, to 21:30: told at once, although it is 20:10.
    clock.set('2026-03-02T19:10:00Z');
    const again = await api('PATCH', '/api/appointments/R1', {
      startsAt: '2026-03-02T21:30:00+01:00',
    });
    expect(again.body).toMatchObject({ version: 3, told: 1 });
    const report = await relais.services.dispatcher.drain();
    expect(report).toMatchObject({ sent: 1, deferred: 0 });
    const urgent = (await messagesTo('B3')).at(-1);
    expect(urgent).toMatchObject({ urgent: true, status: 'sent', sentAt: clock(), deferrals: 0 });
    expect(urgent?.body).toBe(
      "Département 79 : changement. Réunion d'information aura lieu le lundi 2 mars à 21h30, MDS Niort. Répondez 1 si vous venez, 2 sinon, 3 pour un appel.",
    );
    clock.set('2026-03-02T17:00:00Z');
  });

  it('cancels a session: other sessions are offered, in a second SMS', async () => {
    clock.set('2026-03-03T09:00:00Z');
    const res = await api('PATCH', '/api/appointments/A1', { status: 'cancelled' });
    expect(res.body).toMatchObject({ status: 'cancelled', told: 2 });
    await relais.services.dispatcher.drain();
    const got = (await messagesTo('B1')).slice(-2).map((m) => m.body);
    expect(got).toEqual([
      "Département 79 : Atelier CV du lundi 9 mars à 14h n'aura pas lieu.",
      'Autres dates : A lun. 16/03 14h. Répondez A.',
    ]);
    expect(await reply(1, 'A')).toBe('handled');
    const a2 = await api('GET', '/api/appointments/A2');
    expect(
      a2.body.participants.map((p: { ref: string; state: string }) => `${p.ref} ${p.state}`),
    ).toEqual(['B1 confirmed']);
    expect((await api('PATCH', '/api/appointments/A1', { status: 'cancelled' })).status).toBe(409);
  });

  it('plans a series of individual rendez-vous with a référent (weekly, then every 15 days): one message now', async () => {
    clock.set('2026-03-03T09:30:00Z'); // Tuesday 10:30
    const before = (await messagesTo('B2')).length;
    const res = await api('POST', '/api/appointments/series', {
      ref: 'ASPIR-B2',
      kind: 'individual',
      title: 'Rendez-vous avec Mme Garnier',
      start: '2026-03-05T10:00:00+01:00',
      phases: [
        { everyDays: 7, count: 8 },
        { everyDays: 14, count: 2 },
      ],
      place: 'CCAS de Niort',
      referent: 'REF-12',
      person: 'B2',
    });
    expect(res.status).toBe(201);
    expect(res.body.sessions).toHaveLength(10);
    // One case per rendez-vous: each is counted, confirmed and attended on its own.
    expect(res.body.convoked).toBe(10);
    // Summer time from 29 March: still 10:00 in Niort.
    const starts = res.body.sessions.map((s: { startsAt: string }) => s.startsAt);
    expect(starts).toEqual([
      '2026-03-05T09:00:00.000Z',
      '2026-03-12T09:00:00.000Z',
      '2026-03-19T09:00:00.000Z',
      '2026-03-26T09:00:00.000Z',
      '2026-04-02T08:00:00.000Z',
      '2026-04-09T08:00:00.000Z',
      '2026-04-16T08:00:00.000Z',
      '2026-04-23T08:00:00.000Z',
      '2026-05-07T08:00:00.000Z',
      '2026-05-21T08:00:00.000Z',
    ]);
    await relais.services.fires.runDue();
    await relais.services.dispatcher.drain();
    // One convocation, for the first date, saying that more follow.
    const sent = (await messagesTo('B2')).slice(before);
    expect(sent.map((m) => [m.body, m.status, m.parts])).toEqual([
      [
        'Département 79 : Rendez-vous avec Mme Garnier le jeudi 5 mars à 10h, CCAS de Niort, puis chaque semaine. Répondez 1 si vous venez, 2 sinon, 3 pour un appel.',
        'sent',
        1,
      ],
    ]);
    const cases = await db.prisma.invitation.findMany({
      where: { person: { externalRef: 'B2' }, kind: 'individual' },
      include: { participations: { include: { appointment: true } } },
    });
    const bySession = new Map(
      cases.map((c) => [c.participations[0]?.appointment.externalRef as string, c]),
    );
    expect(
      cases.filter((c) => c.askedAt).map((c) => c.participations[0]?.appointment.externalRef),
    ).toEqual(['ASPIR-B2-01']);
    // Each later rendez-vous is asked by its own J-2 reminder (10:00), after the one before.
    const firstAsks: string[] = [];
    for (let i = 2; i <= 10; i++) {
      const kase = bySession.get(`ASPIR-B2-${String(i).padStart(2, '0')}`);
      const fires = await db.prisma.scheduledFire.findMany({
        where: { subjectId: kase?.participationId as string, status: 'pending' },
        orderBy: { dueAt: 'asc' },
      });
      expect(fires.map((f) => (f.payload as { point: string }).point)).toEqual(['reminder']);
      firstAsks.push(fires.map((f) => f.dueAt.toISOString()).join(','));
    }
    expect(firstAsks).toEqual([
      '2026-03-10T09:00:00.000Z',
      '2026-03-17T09:00:00.000Z',
      '2026-03-24T09:00:00.000Z',
      '2026-03-31T08:00:00.000Z',
      '2026-04-07T08:00:00.000Z',
      '2026-04-14T08:00:00.000Z',
      '2026-04-21T08:00:00.000Z',
      '2026-05-05T08:00:00.000Z',
      '2026-05-19T08:00:00.000Z',
    ]);
    firstAsks.forEach((due, i) => {
      expect(due > (starts[i] as string) && due < (starts[i + 1] as string)).toBe(true);
    });
    // "1" confirms the first date, the one the person was asked about ("À" sent as "A": GSM-7).
    expect(await reply(2, '1')).toBe('handled');
    expect((await messagesTo('B2')).at(-1)?.body).toBe(
      "Merci, c'est noté. A jeudi 5 mars à 10h, CCAS de Niort.",
    );
    const states = await db.prisma.participation.findMany({
      where: { person: { externalRef: 'B2' }, appointment: { seriesId: 'ASPIR-B2' } },
      include: { appointment: { select: { externalRef: true } } },
    });
    expect(
      states
        .filter((p) => p.state !== 'invited')
        .map((p) => `${p.appointment.externalRef} ${p.state}`),
    ).toEqual(['ASPIR-B2-01 confirmed']);
  });

  it('gives an appointment answer priority over a questionnaire only right after an appointment message', async () => {
    // B4 is in a questionnaire (a run waiting for an answer) and has a RIO invitation.
    const person = await db.prisma.person.findFirstOrThrow({ where: { externalRef: 'B4' } });
    const identity = await db.prisma.channelIdentity.findFirstOrThrow({
      where: { personId: person.id },
    });
    const flows = relais.services.flows.list().map((f) => f.id);
    expect(flows).toContain('avis-libre');
    const r2 = await db.prisma.appointment.create({
      data: {
        organisationId: orgId,
        kind: 'rio',
        title: '',
        startsAt: new Date('2026-03-10T09:00:00Z'),
        place: 'MDS Niort',
        capacity: 10,
        externalRef: 'R2',
      },
    });
    const inv = await api('POST', '/api/invitations', {
      people: ['B4'],
      mode: 'convocation',
      appointment: 'R2',
    });
    expect(inv.body).toMatchObject({ convoked: 1, unknown: [] });
    await relais.services.fires.runDue();
    await relais.services.dispatcher.drain();
    await relais.services.conversations.startRun({
      personId: person.id,
      identityId: identity.id,
      flowId: 'avis-libre',
      cause: 'test:avis',
    });
    // The questionnaire's question is the last message: "1" is its answer.
    expect(await reply(4, '1')).toBe('answered');
    const p = await db.prisma.participation.findFirstOrThrow({ where: { appointmentId: r2.id } });
    expect(p.state).toBe('invited');
    // A reminder comes: now "1" confirms the rendez-vous.
    const fire = await db.prisma.scheduledFire.findFirstOrThrow({
      where: { subjectId: p.id, kind: 'appointment.reminder', status: 'pending' },
      orderBy: { dueAt: 'asc' },
    });
    clock.set(fire.dueAt);
    await relais.services.fires.runDue();
    expect(await reply(4, '1')).toBe('handled');
    expect((await db.prisma.participation.findUniqueOrThrow({ where: { id: p.id } })).state).toBe(
      'confirmed',
    );
  });

  it('lists who to follow up for rights and duties, and records them told in person', async () => {
    clock.set('2026-03-06T11:00:00Z');
    await relais.services.fires.runDue();
    await relais.services.dispatcher.drain();
    const all = await api('GET', '/api/rights-and-duties');
    const b4 = all.body.find((r: { ref: string }) => r.ref === 'B4');
    // Oriented on 1 December: 90 days ran out on 1 March, informed by SMS on 2 and 4 March.
    expect(b4).toMatchObject({ status: 'informed_late', informedBy: 'messages' });
    await api('PATCH', '/api/people/B1', { orientedAt: '05/03/2026' });
    await db.prisma.channelIdentity.updateMany({
      where: { person: { externalRef: 'B1' } },
      data: { optedOutAt: clock() },
    });
    const follow = await api('GET', '/api/rights-and-duties?followUp=true');
    expect(follow.body.map((r: { ref: string; reason: string }) => `${r.ref} ${r.reason}`)).toEqual(
      ['B1 no channel to reach the person'],
    );
    await api('PATCH', '/api/people/B1', { rightsInformed: true });
    expect((await api('GET', '/api/rights-and-duties?followUp=true')).body).toEqual([]);
    const csv = await api('GET', '/api/rights-and-duties?format=csv');
    expect(csv.body).toMatch(/^\uFEFF?référence;prénom;orientation;échéance;état/);
  });

  it('reads and replaces the settings, with defaults', async () => {
    const got = await api('GET', '/api/settings/appointments');
    expect(got.body.policies).toEqual({});
    expect(got.body.targets).toHaveLength(2);
    const put = await api('PUT', '/api/settings/appointments', {
      signature: 'CD79',
      policies: { rio: [{ name: 'veille', anchor: 'appointment', days: -1, at: '18:00' }] },
      targets: [{ name: '70 %', rate: 0.7 }],
    });
    expect(put.status).toBe(200);
    expect(put.body.offer).toEqual({ count: 3, minLeadHours: 24, horizonDays: 60 });
    const bad = await api('PUT', '/api/settings/appointments', { offer: { count: 5 } });
    expect(bad.status).toBe(400);
    expect(bad.body.problems[0]).toMatch(/^offer\.count/);
  });

  it('never offers an individual rendez-vous to choose from, nor to someone else', async () => {
    clock.set('2026-03-06T12:00:00Z');
    // Inviting to choose among individual rendez-vous: refused, with the reason.
    const api400 = await api('POST', '/api/invitations', {
      people: ['B3'],
      mode: 'invitation',
      kind: 'individual',
    });
    expect(api400.status).toBe(400);
    expect(api400.body.problems[0]).toMatch(/^kind: an individual rendez-vous is one person's/);
    const imported = await api('POST', '/api/people', {
      people: [
        { ref: 'B8', firstName: 'Sam', phone: '06 12 34 70 08', mode: 'invitation' },
        {
          ref: 'B9',
          firstName: 'Lou',
          phone: '06 12 34 70 09',
          mode: 'invitation',
          kind: 'individuel',
        },
      ],
    });
    expect(imported.body.invalid).toEqual([
      {
        line: 2,
        reason:
          "an individual rendez-vous is one person's: convoke the person to their own rendez-vous (mode convocation) instead of inviting them to choose",
      },
    ]);
    const csv = await fetch(`${relais.url}/api/people/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      body: 'Référence;Prénom;Téléphone;Mode;Type\nB10;Rose;06 12 34 70 10;invitation;individuel\n',
    });
    expect(((await csv.json()) as { invalid: { line: number }[] }).invalid).toMatchObject([
      { line: 2, reason: expect.stringMatching(/^an individual rendez-vous is one person's/) },
    ]);

    // B1's own rendez-vous (no seat count, as imported) is not given to B3.
    await api('POST', '/api/appointments', {
      appointments: [
        {
          ref: 'IND-B1',
          kind: 'individual',
          startsAt: '20/03/2026 10:00',
          place: 'CCAS de Niort',
          territory: 'niortais',
          referent: 'REF-12',
        },
      ],
    });
    expect(
      (
        await api('POST', '/api/invitations', {
          people: ['B1'],
          mode: 'convocation',
          appointment: 'IND-B1',
        })
      ).body.convoked,
    ).toBe(1);
    const other = await api('POST', '/api/invitations', {
      people: ['B3'],
      mode: 'convocation',
      appointment: 'IND-B1',
    });
    expect(other.body).toMatchObject({ convoked: 0 });
    expect(other.body.skipped[0].reason).toBe("this individual rendez-vous is another person's");
  });

  it('cancels one rendez-vous of a series: the person is told, the référent follows up, nothing else is offered', async () => {
    await relais.services.fires.runDue();
    await relais.services.dispatcher.drain();
    const before = (await messagesTo('B2')).length;
    const b2 = await db.prisma.person.findFirstOrThrow({ where: { externalRef: 'B2' } });
    const series = async () =>
      (
        await db.prisma.participation.findMany({
          where: { personId: b2.id, appointment: { seriesId: 'ASPIR-B2' } },
          include: { appointment: { select: { externalRef: true } } },
        })
      )
        .map((p) => `${p.appointment.externalRef} ${p.state}`)
        .sort();
    const states = await series();
    const target = 'ASPIR-B2-03';
    const res = await api('PATCH', `/api/appointments/${target}`, { status: 'cancelled' });
    expect(res.body).toMatchObject({ status: 'cancelled', told: 1 });
    await relais.services.dispatcher.drain();
    const got = (await messagesTo('B2')).slice(before).map((m) => m.body);
    // Named after the rendez-vous' référent; no other date offered (IND-B1 is B1's).
    expect(got).toEqual([
      "CD79 : Rendez-vous avec Mme Garnier du jeudi 19 mars à 10h n'aura pas lieu. Mme Garnier vous proposera une autre date.",
    ]);
    const kase = await db.prisma.invitation.findFirstOrThrow({
      where: {
        personId: b2.id,
        participations: { some: { appointment: { externalRef: target } } },
      },
    });
    expect(kase).toMatchObject({ status: 'cancelled', options: [], participationId: null });
    const follow = await api('GET', '/api/follow-ups?kind=no_date&referent=REF-12');
    expect(
      follow.body.filter(
        (f: { person: { ref: string }; appointment: string }) =>
          f.person.ref === 'B2' && f.appointment === res.body.id,
      ),
    ).toHaveLength(1);
    // The other rendez-vous of the series stand as they were.
    expect(await series()).toEqual(
      states.map((s) => (s === `${target} invited` ? `${target} cancelled` : s)),
    );
    expect(
      await db.prisma.participation.count({
        where: { personId: b2.id, appointment: { externalRef: 'IND-B1' } },
      }),
    ).toBe(0);
  });

  it('tells people still choosing when one of their dates moves or is cancelled', async () => {
    clock.set('2026-03-06T12:00:00Z');
    await api('POST', '/api/appointments', {
      appointments: ['I1', 'I2', 'I3'].map((ref, i) => ({
        ref,
        kind: 'information',
        title: 'Info collective',
        startsAt: `${10 + i * 2}/03/2026 14:00`,
        place: 'MDS Niort',
        capacity: 10,
        territory: 'niortais',
      })),
    });
    await api('POST', '/api/people', {
      mode: 'invitation',
      kind: 'information',
      people: [
        { ref: 'B11', firstName: 'Paul', phone: '06 12 34 70 11', territory: 'niortais' },
        { ref: 'B12', firstName: 'Rita', phone: '06 12 34 70 12', territory: 'niortais' },
      ],
    });
    await relais.services.fires.runDue();
    await relais.services.dispatcher.drain();
    expect((await messagesTo('B11')).at(-1)?.body).toBe(
      "CD79 : Info collective à MDS Niort. Dates : A mar. 10/03 14h, B jeu. 12/03 14h, C sam. 14/03 14h. Répondez A, B ou C, ou 3 pour qu'on vous appelle.",
    );
    const b11 = await db.prisma.invitation.findFirstOrThrow({
      where: { person: { externalRef: 'B11' } },
    });
    const relaunch = await db.prisma.scheduledFire.findFirstOrThrow({
      where: { subjectId: b11.id, status: 'pending' },
    });

    // I1 moves to the 11th: told at once, and "A" books it at its new time.
    const moved = await api('PATCH', '/api/appointments/I1', {
      startsAt: '2026-03-11T15:00:00+01:00',
    });
    expect(moved.body.told).toBe(2);
    await relais.services.dispatcher.drain();
    expect((await messagesTo('B11')).at(-1)?.body).toBe(
      'CD79 : changement de date. Info collective à MDS Niort. Dates : A mer. 11/03 15h, B jeu. 12/03 14h, C sam. 14/03 14h. Répondez A, B ou C.',
    );
    // The relaunch planned for the old offer does nothing; the same point stands for the new.
    expect(
      (await db.prisma.scheduledFire.findUniqueOrThrow({ where: { id: relaunch.id } })).status,
    ).toBe('skipped');
    expect(
      await db.prisma.scheduledFire.findFirst({
        where: { subjectId: b11.id, status: 'pending', subjectVersion: b11.version + 1 },
        select: { dueAt: true },
      }),
    ).toEqual({ dueAt: relaunch.dueAt });
    expect(await reply(11, 'A')).toBe('handled');
    expect((await messagesTo('B11')).at(-1)?.body).toMatch(
      /^C'est noté : Info collective le mercredi 11 mars à 15h, MDS Niort\./,
    );

    // I2 is cancelled: Rita is offered the dates left; "B" is no longer a full session.
    const cancelled = await api('PATCH', '/api/appointments/I2', { status: 'cancelled' });
    expect(cancelled.body.told).toBe(1);
    await relais.services.dispatcher.drain();
    expect((await messagesTo('B12')).slice(-2).map((m) => m.body)).toEqual([
      "CD79 : Info collective du jeudi 12 mars à 14h n'aura pas lieu.",
      'Autres dates : A mer. 11/03 15h, B sam. 14/03 14h. Répondez A ou B.',
    ]);
    expect(await reply(12, 'B')).toBe('handled');
    expect((await messagesTo('B12')).at(-1)?.body).toMatch(
      /^C'est noté : Info collective le samedi 14 mars à 14h, MDS Niort\./,
    );
  });

  it('asks each later rendez-vous of a series before it; the answer is for that one', async () => {
    const before = (await messagesTo('B2')).length;
    const second = await db.prisma.appointment.findFirstOrThrow({
      where: { externalRef: 'ASPIR-B2-02' },
    });
    clock.set('2026-03-10T09:00:00Z'); // Tuesday 10:00, J-2 of the 12th
    await relais.services.fires.runDue();
    await relais.services.dispatcher.drain();
    const sent = (await messagesTo('B2')).slice(before);
    expect(sent.map((m) => m.body)).toEqual([
      'CD79 : prochain rendez-vous. Rendez-vous avec Mme Garnier le jeudi 12 mars à 10h, CCAS de Niort. Répondez 1 si vous venez, 2 sinon, 3 pour un appel.',
    ]);
    expect(sent[0]?.sentAt?.getTime()).toBeLessThan(second.startsAt.getTime());
    // Since the series was made: its convocation, the "1" acknowledged, the cancellation of
    // the 19th, this question; nothing about the later dates.
    const since = (await messagesTo('B2')).filter(
      (m) => m.createdAt >= new Date('2026-03-03T09:30:00Z'),
    );
    expect(since.map((m) => m.body.slice(0, 44))).toEqual([
      'Département 79 : Rendez-vous avec Mme Garnie',
      "Merci, c'est noté. A jeudi 5 mars à 10h, CCA",
      'CD79 : Rendez-vous avec Mme Garnier du jeudi',
      'CD79 : prochain rendez-vous. Rendez-vous ave',
    ]);
    // "2" now is about the 12th: the référent proposes another date for that one only.
    expect(await reply(2, '2')).toBe('handled');
    expect((await messagesTo('B2')).at(-1)?.body).toBe(
      "C'est noté. Mme Garnier vous proposera une autre date.",
    );
    const follow = await api('GET', '/api/follow-ups?kind=no_date&referent=REF-12');
    expect(
      follow.body
        .filter((f: { person: { ref: string } }) => f.person.ref === 'B2')
        .map((f: { appointment: string }) => f.appointment),
    ).toContain(second.id);
    const states = await db.prisma.participation.findMany({
      where: { person: { externalRef: 'B2' }, appointment: { seriesId: 'ASPIR-B2' } },
      include: { appointment: { select: { externalRef: true } } },
      orderBy: { appointment: { startsAt: 'asc' } },
    });
    expect(states.map((p) => `${p.appointment.externalRef} ${p.state}`)).toEqual([
      'ASPIR-B2-01 confirmed',
      'ASPIR-B2-02 wants_other_date',
      'ASPIR-B2-03 cancelled',
      ...[4, 5, 6, 7, 8, 9, 10].map((i) => `ASPIR-B2-${String(i).padStart(2, '0')} invited`),
    ]);
  });

  it('asks a later rendez-vous once the previous one is over when the policy has no reminder before it', async () => {
    const put = await api('PUT', '/api/settings/appointments', {
      signature: 'CD79',
      policies: { individual: [{ name: 'invitation', anchor: 'invitation', days: 0 }] },
    });
    expect(put.status).toBe(200);
    const before = (await messagesTo('B3')).length;
    const res = await api('POST', '/api/appointments/series', {
      ref: 'ASPIR-B3',
      start: '2026-03-16T14:00:00+01:00',
      durationMinutes: 45,
      phases: [{ everyDays: 7, count: 3 }],
      place: 'CCAS de Niort',
      referent: 'REF-12',
      person: 'B3',
    });
    expect(res.body.convoked).toBe(3);
    await relais.services.fires.runDue();
    await relais.services.dispatcher.drain();
    expect((await messagesTo('B3')).slice(before).map((m) => m.body)).toEqual([
      'CD79 : Rendez-vous avec Mme Garnier le lundi 16 mars à 14h, CCAS de Niort, puis chaque semaine. Répondez 1 si vous venez, 2 sinon, 3 pour un appel.',
    ]);
    const pending = await db.prisma.scheduledFire.findMany({
      where: {
        status: 'pending',
        subjectId: {
          in: (
            await db.prisma.participation.findMany({
              where: { appointment: { seriesId: 'ASPIR-B3' } },
            })
          ).map((p) => p.id),
        },
      },
      orderBy: { dueAt: 'asc' },
    });
    // At the end of the previous rendez-vous (14:45).
    expect(
      pending.map((f) => `${(f.payload as { point: string }).point} ${f.dueAt.toISOString()}`),
    ).toEqual(['series 2026-03-16T13:45:00.000Z', 'series 2026-03-23T13:45:00.000Z']);
    clock.set('2026-03-16T13:45:00Z');
    await relais.services.fires.runDue();
    await relais.services.dispatcher.drain();
    expect((await messagesTo('B3')).at(-1)?.body).toBe(
      'CD79 : prochain rendez-vous. Rendez-vous avec Mme Garnier le lundi 23 mars à 14h, CCAS de Niort. Répondez 1 si vous venez, 2 sinon, 3 pour un appel.',
    );
    expect(await reply(3, '1')).toBe('handled');
    const confirmed = await db.prisma.participation.findMany({
      where: { appointment: { seriesId: 'ASPIR-B3' }, state: 'confirmed' },
      include: { appointment: { select: { externalRef: true } } },
    });
    expect(confirmed.map((p) => p.appointment.externalRef)).toEqual(['ASPIR-B3-02']);
  });

  it('sends a reply to the soonest of several sessions asked about at the same instant', async () => {
    clock.set('2026-03-16T14:00:00Z');
    await api('POST', '/api/appointments', {
      appointments: [26, 20, 24].map((day, i) => ({
        ref: `W${i + 1}`,
        kind: 'workshop',
        title: 'Atelier numérique',
        startsAt: `${day}/03/2026 14:00`,
        place: 'CSC Niort',
        capacity: 5,
      })),
    });
    await api('POST', '/api/people', {
      people: [{ ref: 'B13', firstName: 'Noé', phone: '06 12 34 70 13' }],
    });
    for (const ref of ['W1', 'W2', 'W3']) {
      const res = await api('POST', '/api/invitations', {
        people: ['B13'],
        mode: 'convocation',
        appointment: ref,
      });
      expect(res.body.convoked).toBe(1);
    }
    await relais.services.fires.runDue();
    await relais.services.dispatcher.drain();
    const asked = await db.prisma.invitation.findMany({
      where: { person: { externalRef: 'B13' } },
      select: { askedAt: true },
    });
    expect(new Set(asked.map((c) => c.askedAt?.toISOString()))).toEqual(
      new Set([clock().toISOString()]),
    );
    // Three questions at once: "1" is for the soonest date (W2, the 20th).
    expect(await reply(13, '1')).toBe('handled');
    const confirmed = await db.prisma.participation.findMany({
      where: { person: { externalRef: 'B13' }, state: 'confirmed' },
      include: { appointment: { select: { externalRef: true } } },
    });
    expect(confirmed.map((p) => p.appointment.externalRef)).toEqual(['W2']);
  });
});
