// RIO end to end with a controlled clock, in a Puy-de-Dôme-like département: sessions
// imported from a UTF-8 ";" CSV, 30 people (and 4 invalid rows) from a Windows-1252 ","
// CSV, half convoked and half invited to choose; replies by SMS (through the SMS
// channel's local inbound route) and Telegram (through the webhook and the fake Bot API):
// confirm, cannot come and rebook, call-back, free text; a J+3 relaunch, J-2 reminders,
// one session moves, one person's reminders are paused, attendance is marked by the API
// and by CSV upload, and the indicators are checked against values computed by hand.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Relais } from '../../../src/app.js';
import { prepareSms } from '../../../src/domain/sms/index.js';
import { createApiToken } from '../../../src/http/auth.js';
import { testClock } from '../../support/clock.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../../support/db.js';
import { type FakeTelegramApi, startFakeTelegramApi } from '../../support/fakes/telegram-api.js';
import { startTestRelais } from '../../support/relais.js';
import { send, TelegramUser, telegramEnv, telegramOf } from '../../support/telegram.js';

let db: TestDatabase;
let relais: Relais;
let fake: FakeTelegramApi;
let token: string;
let orgId: string;
// Monday 2 March 2026, 09:00 in Clermont-Ferrand (UTC+1).
const clock = testClock('2026-03-02T08:00:00Z');

const UNDER_30 = new Set([1, 2, 3, 9, 10, 16, 17, 18, 24, 27]);
const ORIENTED: Record<number, string> = {
  1: '10/02/2026',
  2: '10/02/2026',
  9: '10/02/2026',
  16: '10/02/2026',
  13: '20/01/2026',
  27: '20/11/2025',
};
const TELEGRAM = [5, 17, 22, 30];
const NAMES = [
  'Léa',
  'Hélène',
  'Zoé',
  'Noé',
  'Inès',
  'Jérôme',
  'Chloé',
  'Maël',
  'Anaïs',
  'Gaëlle',
  'Loïc',
  'Aurélie',
  'Céline',
  'Éric',
  'Frédéric',
  'Mélanie',
  'Stéphane',
  'Amélie',
  'Sébastien',
  'Rémi',
  'Cécile',
  'Agnès',
  'Benoît',
  'Élodie',
  'Françoise',
  'Grégoire',
  'Hugo',
  'Irène',
  'Joël',
  'Karima',
];

const ref = (i: number) => `PDD-${String(i).padStart(3, '0')}`;
const e164 = (i: number) => `+3361234${String(5000 + i)}`;
const national = (i: number) => {
  const d = e164(i).slice(3);
  return `0${d.slice(0, 1)} ${d.slice(1, 3)} ${d.slice(3, 5)} ${d.slice(5, 7)} ${d.slice(7, 9)}`;
};
const chat = (i: number) => 7_100_000 + i;

// Sessions: four in Clermont (12 seats), three in Riom (10 seats).
const SESSIONS_CSV = [
  'Référence;Type;Titre;Date;Fin;Lieu;Adresse;Places;Territoire',
  "C1;RIO;Réunion d'information;10/03/2026 09:30;11:30;MDS Clermont;12 rue Blatin;12;clermont",
  "C2;RIO;Réunion d'information;12/03/2026 14:00;16:00;MDS Clermont;12 rue Blatin;12;clermont",
  "C3;RIO;Réunion d'information;17/03/2026 09:30;11:30;MDS Clermont;12 rue Blatin;12;clermont",
  "C4;RIO;Réunion d'information;19/03/2026 14:00;16:00;MDS Clermont;12 rue Blatin;12;clermont",
  "R1;RIO;Réunion d'information;11/03/2026 09:30;11:30;MDS Riom;3 bd Desaix;10;riom",
  "R2;RIO;Réunion d'information;13/03/2026 09:30;11:30;MDS Riom;3 bd Desaix;10;riom",
  "R3;RIO;Réunion d'information;18/03/2026 09:30;11:30;MDS Riom;3 bd Desaix;10;riom",
].join('\r\n');

function convocationOf(i: number): { date: string; place: string } | undefined {
  if (i <= 4) return { date: '10/03/2026 09:30', place: 'MDS Clermont' };
  if (i <= 8) return { date: '12/03/2026 14:00', place: 'MDS Clermont' };
  if (i <= 12) return { date: '11/03/2026 09:30', place: 'MDS Riom' };
  if (i <= 15) return { date: '13/03/2026 09:30', place: 'MDS Riom' };
  return undefined;
}
const territoryOf = (i: number) => (i <= 8 || (i >= 16 && i <= 23) ? 'clermont' : 'riom');

function peopleCsv(): Buffer {
  const lines = [
    'Numéro dossier,Prénom,Nom,Téléphone,Année de naissance,Territoire,Date d’orientation,Mode,Date RDV,Lieu'.replace(
      '’',
      "'",
    ),
  ];
  for (let i = 1; i <= 30; i++) {
    const c = convocationOf(i);
    lines.push(
      [
        ref(i),
        NAMES[i - 1],
        'Martin',
        national(i),
        UNDER_30.has(i) ? '2000' : '1985',
        territoryOf(i),
        ORIENTED[i] ?? '',
        c ? 'convocation' : 'invitation',
        c?.date ?? '',
        c?.place ?? '',
      ].join(','),
    );
    // The four invalid rows sit among the valid ones.
    if (i === 3)
      lines.push(
        'PDD-901,Rémi,Bad,06 12 34,1990,clermont,,convocation,10/03/2026 09:30,MDS Clermont',
      );
    if (i === 10) lines.push('PDD-902,Noëlle,Fixe,04 73 12 34 56,1990,riom,,invitation,,');
    if (i === 20)
      lines.push('PDD-903,Yanis,Sans,06 12 34 59 03,1990,clermont,,convocation,,MDS Clermont');
    if (i === 25)
      lines.push(
        'PDD-904,Ève,Date,06 12 34 59 04,1990,riom,,convocation,31/02/2026 09:30,MDS Riom',
      );
  }
  // Excel on a French Windows: Windows-1252, accents as single bytes.
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1');
}

async function api(method: string, path: string, body?: unknown, type = 'application/json') {
  const res = await fetch(`${relais.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': type } : {}),
    },
    body:
      body === undefined
        ? undefined
        : Buffer.isBuffer(body) || typeof body === 'string'
          ? body
          : JSON.stringify(body),
  });
  const ct = res.headers.get('content-type') ?? '';
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers of the API under test
  const json: any = ct.includes('json') ? await res.json() : await res.text();
  return { status: res.status, body: json };
}

async function sms(i: number, text: string) {
  const res = await fetch(`${relais.url}/sms/api/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from: e164(i), text }),
  });
  expect(res.status).toBe(200);
}

async function tg(i: number, text: string) {
  await send(relais, new TelegramUser(chat(i), NAMES[i - 1]).message(text));
}

/** Sends everything due now (Telegram through the fake, SMS through the log provider). */
async function deliver() {
  for (let round = 0; round < 20; round++) {
    await telegramOf(relais).idle();
    const r = await relais.services.dispatcher.drain();
    if (r.claimed === 0) return;
  }
}

async function at(iso: string) {
  clock.set(iso);
  await relais.services.fires.runDue();
  await deliver();
}

async function personId(i: number): Promise<string> {
  const p = await db.prisma.person.findFirstOrThrow({
    where: { organisationId: orgId, externalRef: ref(i) },
  });
  return p.id;
}

/** The last appointment message sent to person i. */
async function lastTo(i: number): Promise<string> {
  const m = await db.prisma.message.findFirstOrThrow({
    where: {
      personId: await personId(i),
      direction: 'outbound',
      status: { not: 'failed' },
      contextType: 'invitation',
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  return m.body;
}

async function stateOf(i: number, session: string) {
  const p = await db.prisma.participation.findFirst({
    where: {
      person: { externalRef: ref(i), organisationId: orgId },
      appointment: { externalRef: session },
    },
  });
  return p?.state;
}

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeTelegramApi();
  const p = db.prisma;
  const org = await p.organisation.create({
    data: { slug: 'puy-de-dome-test', name: 'Département du Puy-de-Dôme', departementCode: '63' },
  });
  orgId = org.id;
  for (const [code, name] of [
    ['clermont', 'Clermont Métropole'],
    ['riom', 'Riom Limagne et Volcans'],
  ]) {
    await p.territory.create({
      data: { organisationId: org.id, code: code as string, name: name as string },
    });
  }
  token = await createApiToken(p, org.id, 'tests');
  relais = await startTestRelais(db, telegramEnv(fake, { TELEGRAM_CHAT_INTERVAL_MS: '20' }), {
    clock,
  });
}, 120_000);

afterAll(async () => {
  await relais?.stop();
  await fake?.close();
  await db?.destroy();
});

describe(`RIO invitations, replies, attendance and indicators (${usingPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('imports the sessions (UTF-8 with BOM, ";")', async () => {
    const res = await api('POST', '/api/appointments/import', `\uFEFF${SESSIONS_CSV}`, 'text/csv');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ rows: 7, imported: 7, invalid: [], delimiter: ';' });
    expect(res.body.sessions).toEqual({ created: 7, updated: 0, moved: 0 });
  });

  it('imports 30 people from Windows-1252, lists the 4 invalid rows, nothing half-imported', async () => {
    const file = peopleCsv();
    // A failure half-way (here while creating the cases) leaves nothing behind.
    const spy = vi
      .spyOn(relais.services.appointments, 'createCases')
      .mockRejectedValueOnce(new Error('disk full'));
    const failed = await api('POST', '/api/people/import', file, 'text/csv');
    expect(failed.status).toBe(500);
    spy.mockRestore();
    expect(await db.prisma.person.count({ where: { organisationId: orgId } })).toBe(0);
    expect(await db.prisma.importBatch.count()).toBe(1); // the sessions only

    const res = await api('POST', '/api/people/import', file, 'text/csv');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      duplicate: false,
      encoding: 'windows-1252',
      delimiter: ',',
      rows: 34,
      imported: 30,
      people: { created: 30, updated: 0 },
      sessions: { created: 0 },
      cases: { convoked: 15, invited: 15, noSession: 0, skipped: [] },
      orientations: 6,
    });
    expect(res.body.invalid).toEqual([
      { line: 5, reason: 'phone: not a valid phone number' },
      { line: 13, reason: 'phone: a landline: SMS go to mobiles only' },
      { line: 24, reason: 'missing session date' },
      { line: 30, reason: 'no such date: "31/02/2026 09:30"' },
    ]);
    const lea = await db.prisma.person.findFirstOrThrow({ where: { externalRef: ref(2) } });
    // Accents read right; the surname is not kept.
    expect(lea.displayName).toBe('Hélène');
    expect(JSON.stringify(lea)).not.toContain('Martin');

    // The same file again: the first report, nothing new.
    const again = await api('POST', '/api/people/import', file, 'text/csv');
    expect(again.status).toBe(200);
    expect(again.body.duplicate).toBe(true);
    // The same people in another file (other order, UTF-8): no duplicates either.
    const [header, ...rows] = file.toString('latin1').split('\r\n').filter(Boolean);
    const reordered = Buffer.from([header, ...rows.reverse()].join('\n'), 'utf8');
    const third = await api('POST', '/api/people/import', reordered, 'text/csv');
    expect(third.status).toBe(201);
    expect(third.body.people).toEqual({ created: 0, updated: 0 });
    expect(third.body.cases.convoked + third.body.cases.invited).toBe(0);
    expect(await db.prisma.person.count({ where: { organisationId: orgId } })).toBe(30);
    expect(await db.prisma.invitation.count({ where: { organisationId: orgId } })).toBe(30);
    expect(await db.prisma.participation.count()).toBe(15);
    expect(await db.prisma.appointment.count()).toBe(7);

    // Four people linked their Telegram (Telegram is then preferred to SMS).
    for (const i of TELEGRAM) {
      await db.prisma.channelIdentity.create({
        data: {
          organisationId: orgId,
          personId: await personId(i),
          channel: 'telegram',
          address: String(chat(i)),
          consent: 'granted',
          consentAt: clock(),
          consentSource: 'telegram:link',
        },
      });
    }
    fake.fail({ status: 403, chatId: chat(30) }); // person 30 blocked the bot
  });

  it('sends the convocations and invitations at import, each in one SMS', async () => {
    await at('2026-03-02T08:00:00Z');
    const sent = await db.prisma.message.findMany({
      where: {
        organisationId: orgId,
        direction: 'outbound',
        OR: [{ purpose: 'appointment' }, { contextType: 'rights' }],
      },
      orderBy: { createdAt: 'asc' },
    });
    // 30 invitations + 6 rights messages; person 30's Telegram failed and fell back to SMS.
    const byChannel = (ch: string) =>
      sent.filter((m) => m.channel === ch && m.status === 'sent').length;
    expect(byChannel('telegram')).toBe(3);
    expect(byChannel('sms')).toBe(26 + 1 + 6);
    expect(sent.filter((m) => m.status === 'failed')).toHaveLength(1);
    for (const m of sent.filter((m) => m.channel === 'sms')) {
      expect(m.parts, m.body).toBe(1);
      expect(prepareSms(m.body, 'transliterate').segments.parts).toBe(1);
      expect(m.body).not.toMatch(/\bRSA\b|allocataire|sanction|suspen/i);
    }
    expect(await lastTo(1)).toBe(
      "Département 63 : Réunion d'information le mardi 10 mars à 9h30, MDS Clermont, 12 rue Blatin. Répondez 1 si vous venez, 2 sinon, 3 pour un appel.",
    );
    expect(await lastTo(16)).toBe(
      "Département 63 : Réunion d'information à MDS Clermont. Dates : A mar. 10/03 9h30, B jeu. 12/03 14h, C mar. 17/03 9h30. Répondez A, B ou C.",
    );
    // The same words on Telegram (a blocked chat falls back to SMS with them).
    expect(String(fake.delivered(chat(5)).at(-1)?.params.text)).toBe(
      "Département 63 : Réunion d'information le jeudi 12 mars à 14h, MDS Clermont, 12 rue Blatin. Répondez 1 si vous venez, 2 sinon, 3 pour un appel.",
    );
  });

  it('takes replies by SMS and Telegram: confirm, cannot come and rebook, call-back, free text', async () => {
    clock.set('2026-03-02T09:00:00Z'); // 10:00 local
    await sms(1, '1');
    expect(await stateOf(1, 'C1')).toBe('confirmed');
    expect(await lastTo(1)).toBe(
      "Merci, c'est noté. A mardi 10 mars à 9h30, MDS Clermont, 12 rue Blatin.",
    );

    // Cannot come: the next Clermont sessions with seats are offered, and B is chosen.
    await sms(2, '2');
    expect(await stateOf(2, 'C1')).toBe('declined');
    expect(await lastTo(2)).toBe(
      "C'est noté. Autres dates : A jeu. 12/03 14h, B mar. 17/03 9h30, C jeu. 19/03 14h. Répondez A, B ou C.",
    );
    await sms(2, 'B');
    expect(await stateOf(2, 'C3')).toBe('confirmed');
    expect(await lastTo(2)).toMatch(
      /^C'est noté : Réunion d'information le mardi 17 mars à 9h30, MDS Clermont/,
    );

    await sms(3, '3');
    expect(await stateOf(3, 'C1')).toBe('wants_call');
    await sms(4, 'Je serai en retard de 10 minutes');
    expect(await lastTo(4)).toBe(
      "Merci, votre message est transmis à l'équipe qui vous accompagne.",
    );
    await tg(5, 'oui');
    expect(await stateOf(5, 'C2')).toBe('confirmed');
    await sms(8, '2');
    await sms(9, '1');
    await sms(12, 'OK');
    await sms(13, 'STOP');
    await sms(14, 'non');
    expect(await stateOf(14, 'R2')).toBe('declined');
    await sms(16, 'A');
    await tg(17, 'B');
    await sms(18, 'non');
    expect(await lastTo(18)).toBe("C'est noté. Autres dates : A jeu. 19/03 14h. Répondez A.");
    await sms(18, 'A');
    await sms(19, '3');
    await sms(20, 'c');
    await tg(22, "Bonjour, je travaille le matin, c'est possible l'après-midi ?");
    await sms(23, 'la A');
    await sms(24, 'A');
    await sms(25, 'b');
    await sms(26, 'C');
    await deliver();
    for (const [i, session] of [
      [16, 'C1'],
      [17, 'C2'],
      [18, 'C4'],
      [20, 'C3'],
      [23, 'C1'],
      [24, 'R1'],
      [25, 'R2'],
      [26, 'R3'],
    ] as const) {
      expect(await stateOf(i, session), `person ${i}`).toBe('confirmed');
    }
    // Telegram answers went back on Telegram.
    expect(String(fake.delivered(chat(17)).at(-1)?.params.text)).toMatch(
      /^C'est noté : Réunion d'information le jeudi 12 mars à 14h/,
    );

    // What the référent sees: two call-backs, two messages to read.
    const follow = await api('GET', '/api/follow-ups');
    expect(follow.status).toBe(200);
    const byKind = (k: string) => follow.body.filter((f: { kind: string }) => f.kind === k);
    expect(
      byKind('call_back')
        .map((f: { person: { ref: string } }) => f.person.ref)
        .sort(),
    ).toEqual([ref(3), ref(19)]);
    expect(byKind('call_back')[0].phone).toBe(e164(3));
    expect(
      byKind('message')
        .map((f: { message: { text: string } }) => f.message.text)
        .sort(),
    ).toEqual([
      "Bonjour, je travaille le matin, c'est possible l'après-midi ?",
      'Je serai en retard de 10 minutes',
    ]);
    const done = await api('POST', `/api/follow-ups/${byKind('message')[0].id}/done`);
    expect(done.status).toBe(200);
    expect((await api('GET', '/api/follow-ups?kind=message')).body).toHaveLength(1);

    // An agent pauses person 6's automatic reminders (they will be called instead).
    const paused = await api('PATCH', `/api/people/${ref(6)}`, { remindersPaused: true });
    expect(paused.body.remindersPaused).toBe(true);
  });

  it('relaunches unanswered people at J+3 11:00, if the session is more than 2 days away', async () => {
    const before = clock();
    await at('2026-03-05T10:00:00Z'); // Thursday 11:00
    const relaunched = await db.prisma.message.findMany({
      where: { organisationId: orgId, createdAt: { gt: before }, body: { startsWith: 'Rappel' } },
      include: { person: { select: { externalRef: true } } },
    });
    // Convocations 4 (free text is not an answer), 7, 10, 11, 15 (13 sent STOP, 6 paused);
    // invitations 21, 22, 27, 28, 29, and 30 on SMS since the bot is blocked.
    expect(relaunched.map((m) => m.person?.externalRef).sort()).toEqual(
      [4, 7, 10, 11, 15, 21, 22, 27, 28, 29, 30].map(ref),
    );
    expect(relaunched.find((m) => m.person?.externalRef === ref(30))?.channel).toBe('sms');
  });

  it('moves a session: reminders planned anew, the people told at once, asked again', async () => {
    clock.set('2026-03-06T09:00:00Z'); // Friday 10:00
    const moved = await api('PATCH', '/api/appointments/C2', {
      startsAt: '2026-03-12T16:00:00+01:00',
    });
    expect(moved.status).toBe(200);
    // Expected there: 5, 6 (paused, still told), 7, 17; still choosing with C2 among their
    // dates: 19 (asked for a call), 21 (no answer), 22 (free text).
    expect(moved.body).toMatchObject({ version: 2, told: 7 });
    await deliver();
    // Not today: not urgent (quiet hours apply); the address gave way to fit one SMS.
    expect(await lastTo(7)).toBe(
      "Département 63 : changement. Réunion d'information aura lieu le jeudi 12 mars à 16h, MDS Clermont. Répondez 1 si vous venez, 2 sinon, 3 pour un appel.",
    );
    expect(await stateOf(5, 'C2')).toBe('invited');
    await tg(5, '1');
    expect(await stateOf(5, 'C2')).toBe('confirmed');
  });

  it('reminds two days before at 10:00, not the paused person, nothing after the start', async () => {
    const start = clock();
    for (const day of [
      '07',
      '08',
      '09',
      '10',
      '11',
      '12',
      '13',
      '14',
      '15',
      '16',
      '17',
      '18',
      '19',
    ]) {
      await at(`2026-03-${day}T07:00:00Z`); // 08:00 local: messages deferred overnight go
      await at(`2026-03-${day}T09:00:00Z`); // 10:00 local: the J-2 reminders
      const when = `2026-03-${day}`;
      // Attendance once each session is over.
      if (when === '2026-03-10') {
        clock.set('2026-03-10T11:00:00Z');
        const r = await api('POST', '/api/appointments/C1/attendance', {
          attendance: [
            { person: ref(1), state: 'present' },
            { person: ref(3), state: 'absent' },
            { person: ref(4), state: 'present' },
            { person: ref(16), state: 'present' },
            { person: ref(23), state: 'absent' },
          ],
        });
        expect(r.body).toEqual({ updated: 5, problems: [] });
      }
      if (when === '2026-03-11') {
        clock.set('2026-03-11T11:00:00Z');
        const csv = `Référence;Présence\n${ref(9)};présent\n${ref(10)};absent\n${ref(11)};excusé\n${ref(12)};absent\n${ref(24)};Présent\nPDD-999;présent\n`;
        const r = await api('POST', '/api/appointments/R1/attendance', csv, 'text/csv');
        expect(r.body).toEqual({
          updated: 5,
          problems: ['line 7: "PDD-999" is not a participant of this session'],
        });
      }
      if (when === '2026-03-12') {
        clock.set('2026-03-12T17:00:00Z');
        const r = await api('POST', '/api/appointments/C2/attendance', {
          attendance: [
            { person: ref(5), state: 'present' },
            { person: ref(6), state: 'absent' },
            { person: ref(7), state: 'present' },
            { person: ref(17), state: 'present' },
          ],
        });
        expect(r.body.updated).toBe(4);
      }
      if (when === '2026-03-13') {
        clock.set('2026-03-13T11:00:00Z');
        const csv = Buffer.from(
          `ref,presence\r\n${ref(13)},x\r\n${ref(15)},absent\r\n${ref(25)},présent\r\n`,
          'latin1',
        );
        expect(
          (await api('POST', '/api/appointments/R2/attendance', csv, 'text/csv')).body.updated,
        ).toBe(3);
      }
      if (when === '2026-03-17') {
        clock.set('2026-03-17T11:00:00Z');
        const r = await api('POST', '/api/appointments/C3/attendance', {
          attendance: [
            { person: ref(2), state: 'present' },
            { person: ref(20), state: 'present' },
          ],
        });
        expect(r.body.updated).toBe(2);
      }
      if (when === '2026-03-18') {
        clock.set('2026-03-18T11:00:00Z');
        await api('POST', '/api/appointments/R3/attendance', {
          attendance: [{ person: ref(26), state: 'absent' }],
        });
      }
      if (when === '2026-03-19') {
        clock.set('2026-03-19T16:00:00Z');
        await api('POST', '/api/appointments/C4/attendance', {
          attendance: [{ person: ref(18), state: 'absent' }],
        });
      }
    }
    const reminders = await db.prisma.message.findMany({
      where: {
        organisationId: orgId,
        createdAt: { gt: start },
        body: { startsWith: 'Rappel' },
        contextType: 'invitation',
      },
      include: { person: { select: { externalRef: true } } },
    });
    const got = reminders.map((m) => m.person?.externalRef);
    // Person 6 paused, 13 opted out, 8 and 14 declined: no reminder; nobody twice.
    expect(got).not.toContain(ref(6));
    expect(got).not.toContain(ref(13));
    expect(got).not.toContain(ref(8));
    expect(new Set(got).size).toBe(got.length);
    expect(got.sort()).toEqual(
      [1, 2, 3, 4, 5, 7, 9, 10, 11, 12, 15, 16, 17, 18, 20, 23, 24, 25, 26].map(ref),
    );
    // The C2 reminder went out once, for the new time (the old one was a no-op).
    const c2 = reminders.filter((m) => m.person?.externalRef === ref(7));
    expect(c2).toHaveLength(1);
    expect(c2[0]?.body).toContain('16h');
    expect(await db.prisma.message.count({ where: { failureKind: 'too_late' } })).toBe(0);
  });

  it('computes the indicators by hand', async () => {
    clock.set('2026-03-20T09:00:00Z');
    const res = await api('GET', '/api/reports/indicators?from=2025-11&to=2026-03&kind=rio');
    expect(res.status).toBe(200);
    const group = (territory: string, month: string, ageBand: string) =>
      res.body.groups.find(
        (g: { territory: string; month: string; ageBand: string }) =>
          g.territory === territory && g.month === month && g.ageBand === ageBand,
      );
    const all = group('*', '*', '*');
    expect(all).toMatchObject({
      invited: 30,
      confirmed: 12,
      declined: 4,
      present: 12,
      absent: 8,
      excused: 1,
      participationRate: 0.4,
      noShow: {
        convocation: { attended: 7, absent: 5, rate: 0.4167 },
        invitation: { attended: 5, absent: 3, rate: 0.375 },
      },
      orientationToFirstRio: { people: 5, meanDays: 34.4, medianDays: 29 },
      rights: { oriented: 6, informedInTime: 5, informedLate: 1, pending: 0, overdue: 0 },
      deliveryFailures: 1,
    });
    expect(all.targets).toEqual([]);
    const young = group('*', '*', 'under_30');
    expect(young).toMatchObject({
      invited: 10,
      confirmed: 6,
      declined: 2,
      present: 6,
      absent: 3,
      participationRate: 0.6,
      orientationToFirstRio: { people: 4, meanDays: 30, medianDays: 28.5 },
    });
    expect(young.targets).toEqual([
      { name: '60 % des moins de 30 ans', rate: 0.6, met: true },
      { name: '80 % des moins de 30 ans', rate: 0.8, met: false },
    ]);
    expect(group('*', '*', 'from_30')).toMatchObject({
      invited: 20,
      present: 6,
      participationRate: 0.3,
    });
    expect(group('clermont', '2026-03', 'under_30')).toMatchObject({ invited: 6, present: 4 });
    expect(group('riom', '*', '*')).toMatchObject({
      invited: 14,
      present: 4,
      absent: 4,
      excused: 1,
    });

    // Messages, counted by hand from the scenario above (the STOP confirmation is not an
    // appointment message). SMS, one segment each:
    //   at import: 26 invitations + 1 fallback of person 30 + 6 rights        33
    //   rights "duties" two days later (13 opted out)                           5
    //   J+3 relaunches: 4, 7, 10, 11, 15, 21, 27, 28, 29, 30                    10
    //   J-2 reminders: the 19 listed above but 5 and 17 (Telegram)             17
    //   C2 moved: 6, 7 (expected there), 19, 21 (still choosing)                4
    //   replies: 1, 9, 12 confirmed; 2, 8, 14, 18 other dates; 2 (B), 16, 18 (A),
    //   20, 23, 24, 25, 26 booked; 3, 19 call-back; 4 message                   18
    //                                                                           87
    // Telegram: invitations 5, 17, 22 (30 blocked: 1 failed); relaunch 22; reminders 5,
    // 17; C2 moved 5, 17, 22; replies 5 confirmed twice, 17 booked, 22 message: 13.
    expect(all.messages.sms).toEqual({ sent: 87, failed: 0, segments: 87 });
    expect(all.messages.telegram).toEqual({ sent: 13, failed: 1, segments: 0 });

    const csv = await api('GET', '/api/reports/indicators.csv?from=2025-11&to=2026-03&kind=rio');
    expect(csv.status).toBe(200);
    const lines = String(csv.body)
      .replace(/^\uFEFF/, '')
      .split('\r\n');
    expect(lines[0]).toMatch(/^territoire;mois;tranche d'âge;invités;confirmés;/);
    expect(lines[1]).toMatch(/^\*;\*;\*;30;12;4;12;8;1;40;;37,5;41,7;5;34,4;29;/);
  });

  it('lists the rights-and-duties information per person', async () => {
    const res = await api('GET', '/api/rights-and-duties');
    expect(res.status).toBe(200);
    const by = (i: number) => res.body.find((r: { ref: string }) => r.ref === ref(i));
    expect(by(1)).toMatchObject({ status: 'informed', informedBy: 'messages', toFollowUp: false });
    expect(by(13)).toMatchObject({ status: 'informed', informedBy: 'rio' });
    expect(by(27)).toMatchObject({ status: 'informed_late', informedBy: 'messages' });
  });
});
