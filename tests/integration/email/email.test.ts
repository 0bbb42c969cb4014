// Email copies of appointment messages, end to end against a local SMTP server: people
// imported with an email address (CSV "Courriel" column), the organisation's emailCopy
// setting, the copy of a convocation (subject, body with the address, greeting, footer,
// one-click unsubscribe headers), an unsubscribe that stops the copies and nothing else,
// a 4xx that is retried and a 5xx that fails for good.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relais } from '../../../src/app.js';
import { createApiToken } from '../../../src/http/auth.js';
import { testClock } from '../../support/clock.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../../support/db.js';
import { type FakeSmtp, startFakeSmtp } from '../../support/fakes/smtp.js';
import { startTestRelais } from '../../support/relais.js';

let db: TestDatabase;
let relais: Relais;
let smtp: FakeSmtp;
let token: string;
const clock = testClock('2026-03-02T08:00:00Z'); // Monday 09:00 in Niort
const PUBLIC_URL = 'https://rdv.deux-sevres.example';

async function api(method: string, path: string, body?: unknown, type = 'application/json') {
  const res = await fetch(`${relais.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': type } : {}),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers of the API under test
  const json: any = (res.headers.get('content-type') ?? '').includes('json')
    ? await res.json()
    : await res.text();
  return { status: res.status, body: json };
}

/** A header as sent (unfolded), from the raw message. */
const header = (raw: string | undefined, name: string) =>
  new RegExp(`^${name}:[ \t]*(.*(?:\r?\n[ \t].*)*)`, 'im')
    .exec(raw ?? '')?.[1]
    ?.replace(/\r?\n[ \t]+/g, ' ')
    .trim() ?? '';

const mailsTo = (address: string) => smtp.received.filter((m) => m.envelope.to.includes(address));
const identityOf = (address: string) =>
  db.prisma.channelIdentity.findFirstOrThrow({ where: { channel: 'email', address } });
/** The unsubscribe link of a received mail, on this test's server. */
const localLink = (header: string) =>
  `${relais.url}${new URL(header.replace(/^<|>$/g, '')).pathname}`;

beforeAll(async () => {
  db = await createTestDatabase();
  smtp = await startFakeSmtp();
  const org = await db.prisma.organisation.create({
    data: { slug: 'deux-sevres-mail', name: 'Département des Deux-Sèvres', departementCode: '79' },
  });
  await db.prisma.territory.create({
    data: {
      organisationId: org.id,
      code: 'gatine',
      name: 'Gâtine',
      helpName: 'Accueil insertion de Gâtine',
      helpPhone: '05 49 00 79 10',
      helpHours: 'du lundi au vendredi, 9h-12h',
    },
  });
  token = await createApiToken(db.prisma, org.id, 'tests');
  relais = await startTestRelais(
    db,
    {
      SMTP_URL: smtp.url,
      SMTP_FROM: 'rdv@deux-sevres.example',
      PUBLIC_URL,
      CONTACT_PRESSURE_LIMIT: '50',
    },
    { clock },
  );
}, 120_000);

afterAll(async () => {
  await relais?.stop();
  await smtp?.close();
  await db?.destroy();
});

describe(`email copies (${usingPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('imports email addresses with consent from the import, and refuses bad ones', async () => {
    expect(relais.services.channels.map((c) => c.id)).toContain('email');
    await api('PUT', '/api/settings/appointments', { emailCopy: true });
    const sessions = await api('POST', '/api/appointments', {
      appointments: [
        {
          ref: 'RIO-P1',
          kind: 'rio',
          startsAt: '12/03/2026 09:30',
          place: 'Maison Départementale des Solidarités de Parthenay-Gâtine',
          address: '12 rue de la Citadelle, 79200 Parthenay',
          capacity: 20,
          territory: 'gatine',
        },
      ],
    });
    expect(sessions.status).toBe(201);
    const csv = [
      'Référence;Prénom;Téléphone;Courriel;Territoire;Réf séance',
      'G1;Léa;06 12 34 80 01;Lea.Martin@Example.org;gatine;RIO-P1',
      'G2;Tom;06 12 34 80 02;tom@example.org;gatine;RIO-P1',
      'G3;Ana;06 12 34 80 03;;gatine;RIO-P1',
      'G4;Yves;06 12 34 80 04;yves@;gatine;RIO-P1',
      'G5;Inès;06 12 34 80 05;tom@example.org;gatine;RIO-P1',
    ].join('\n');
    const res = await api('POST', '/api/people/import', csv, 'text/csv');
    expect(res.status).toBe(201);
    expect(res.body.invalid).toEqual([
      { line: 5, reason: 'email: not an email address (expected name@example.fr)' },
      { line: 6, reason: 'the same email address as line 3' },
    ]);
    const lea = await identityOf('lea.martin@example.org');
    expect(lea).toMatchObject({ consent: 'granted', consentSource: 'import', optedOutAt: null });
    expect(await db.prisma.consentEvent.count({ where: { identityId: lea.id } })).toBe(1);
  });

  it('sends the convocation by SMS and its copy by email, with the address and one-click unsubscribe', async () => {
    await relais.services.fires.runDue();
    await relais.services.dispatcher.drain();
    expect(smtp.received).toHaveLength(2); // G1 and G2; G3 has no address
    const [mail] = mailsTo('lea.martin@example.org');
    const m = mail?.parsed;
    expect(m?.subject).toBe("Réunion d'information le jeudi 12 mars à 9h30");
    expect(m?.from?.value).toEqual([
      { address: 'rdv@deux-sevres.example', name: 'Département des Deux-Sèvres' },
    ]);
    const unsubscribe = header(mail?.raw, 'List-Unsubscribe');
    expect(unsubscribe).toMatch(
      /^<https:\/\/rdv\.deux-sevres\.example\/email\/unsubscribe\/[0-9a-f-]{36}\.[\w-]{22}>$/,
    );
    expect(mail?.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m);
    expect(mail?.raw).toMatch(/^Auto-Submitted: auto-generated\r?$/m);
    const url = unsubscribe.replace(/^<|>$/g, '');
    // Longer than an SMS: the place in full, its address, the full answers.
    expect(m?.text?.trim()).toBe(
      [
        'Bonjour Léa,',
        "Département 79 : Réunion d'information le jeudi 12 mars à 9h30, Maison Départementale des Solidarités de Parthenay-Gâtine, 12 rue de la Citadelle, 79200 Parthenay. Répondez 1 si vous venez, 2 si vous ne pouvez pas, 3 pour qu'on vous appelle.",
        'Pour répondre, répondez au SMS que vous avez reçu. Les réponses à ce courriel ne sont pas lues.',
        '--',
        'Une question ? Pour parler à une personne : Accueil insertion de Gâtine, 05 49 00 79 10, du lundi au vendredi, 9h-12h.',
        'Vous recevez ce courriel parce que votre adresse nous a été donnée pour vous tenir informé·e de vos rendez-vous.',
        `Pour ne plus recevoir ces courriels : ${url}`,
      ].join('\n\n'),
    );
    expect(m?.html).toContain('<html lang="fr">');
    expect(m?.html).toContain(`<a href="${url}">Ne plus recevoir ces courriels</a>`);
    expect(m?.html).toContain('Répondez 1 si vous venez');
    // The SMS is the one-segment version; the email row is a copy of the same case.
    const rows = await db.prisma.message.findMany({
      where: { person: { externalRef: 'G1' }, direction: 'outbound' },
      orderBy: { channel: 'asc' },
    });
    expect(rows.map((r) => `${r.channel} ${r.status}`)).toEqual(['sms sent', 'email sent']);
    expect(rows[1]?.idempotencyKey).toBe(`${rows[0]?.idempotencyKey}:email`);
    expect(rows[1]?.contextId).toBe(rows[0]?.contextId);
    expect(rows[0]?.body).toMatch(
      /^Département 79 : Réunion d'information le jeudi 12 mars à 9h30, Maison Départementale des Solidarités[^,]*\./,
    );
  });

  it('unsubscribes in one click: the copies stop, the SMS go on', async () => {
    const tom = mailsTo('tom@example.org')[0];
    const link = localLink(header(tom?.raw, 'List-Unsubscribe'));
    // A link scanner opening the footer link unsubscribes nobody: it gets a page to confirm.
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post">');
    expect((await identityOf('tom@example.org')).optedOutAt).toBeNull();
    // The mail client's one-click POST (RFC 8058).
    const post = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(post.status).toBe(200);
    expect(await post.text()).toContain('vous ne recevrez plus nos courriels à cette adresse');
    const tomId = await identityOf('tom@example.org');
    expect(tomId.optedOutAt).toEqual(clock());
    expect(
      await db.prisma.consentEvent.findMany({
        where: { identityId: tomId.id, action: 'opted_out' },
        select: { source: true },
      }),
    ).toEqual([{ source: 'email:unsubscribe' }]);
    // A forged token does nothing.
    const forged = link.replace(/\.[\w-]{22}$/, '.AAAAAAAAAAAAAAAAAAAAAA');
    expect((await fetch(forged, { method: 'POST' })).status).toBe(404);

    // The session moves: Léa gets the copy, Tom only the SMS.
    clock.set('2026-03-03T09:00:00Z');
    const moved = await api('PATCH', '/api/appointments/RIO-P1', {
      startsAt: '2026-03-12T14:00:00+01:00',
    });
    expect(moved.body.told).toBe(3);
    await relais.services.dispatcher.drain();
    expect(mailsTo('tom@example.org')).toHaveLength(1);
    const lea = mailsTo('lea.martin@example.org');
    expect(lea).toHaveLength(2);
    expect(lea[1]?.parsed.subject).toBe(
      "Changement : Réunion d'information le jeudi 12 mars à 14h",
    );
    const tomMessages = await db.prisma.message.findMany({
      where: { person: { externalRef: 'G2' }, createdAt: { gte: clock() } },
    });
    expect(tomMessages.map((m) => m.channel)).toEqual(['sms']);
  });

  it('retries when the SMTP server says "try later" (4xx), fails for good on 5xx', async () => {
    smtp.fail(451, '4.3.0 Temporary failure, try again later');
    const cancelled = await api('PATCH', '/api/appointments/RIO-P1', { status: 'cancelled' });
    expect(cancelled.body.told).toBe(3);
    await relais.services.dispatcher.drain();
    const copy = () =>
      db.prisma.message.findFirstOrThrow({
        where: {
          person: { externalRef: 'G1' },
          channel: 'email',
          body: { contains: "n'aura pas lieu" },
        },
      });
    expect(await copy()).toMatchObject({
      status: 'queued',
      failureKind: 'transient',
      failureReason: 'SMTP 451 4.3.0 at RCPT',
      attempts: 1,
    });
    expect(mailsTo('lea.martin@example.org')).toHaveLength(2);
    smtp.ok();
    clock.advance(31_000);
    await relais.services.dispatcher.drain();
    expect(await copy()).toMatchObject({ status: 'sent', attempts: 2 });
    const lea = mailsTo('lea.martin@example.org');
    expect(lea).toHaveLength(3);
    expect(lea[2]?.parsed.subject).toBe(
      "Annulation : Réunion d'information du jeudi 12 mars à 14h",
    );
    expect(lea[2]?.parsed.text).toContain(
      "Département 79 : Réunion d'information du jeudi 12 mars à 14h n'aura pas lieu. Nous vous proposerons une autre date.",
    );

    // 550: that address will never take it.
    await api('POST', '/api/appointments', {
      appointments: [
        {
          ref: 'RIO-P2',
          kind: 'rio',
          startsAt: '19/03/2026 09:30',
          place: 'MDS Parthenay',
          territory: 'gatine',
        },
      ],
    });
    smtp.fail(550, '5.1.1 Mailbox unavailable');
    await api('POST', '/api/invitations', {
      people: ['G1'],
      mode: 'convocation',
      appointment: 'RIO-P2',
    });
    await relais.services.fires.runDue();
    await relais.services.dispatcher.drain();
    const last = await db.prisma.message.findFirstOrThrow({
      where: { person: { externalRef: 'G1' }, channel: 'email' },
      orderBy: { createdAt: 'desc' },
    });
    expect(last).toMatchObject({
      status: 'failed',
      failureKind: 'permanent',
      failureReason: 'SMTP 550 5.1.1 at RCPT',
      attempts: 1,
    });
    // The SMS of the same convocation went out.
    expect(
      await db.prisma.message.count({
        where: {
          person: { externalRef: 'G1' },
          channel: 'sms',
          status: 'sent',
          idempotencyKey: `${last.idempotencyKey.replace(/:email$/, '')}`,
        },
      }),
    ).toBe(1);
    smtp.ok();
  });
});
