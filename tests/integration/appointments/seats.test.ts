// Seats are never oversold: 50 people answer "A" at the same moment for a session with
// 10 seats left; exactly 10 get one, the 40 others are offered the next sessions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relais } from '../../../src/app.js';
import { SEAT_STATES } from '../../../src/appointments/seats.js';
import { createApiToken } from '../../../src/http/auth.js';
import { testClock } from '../../support/clock.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../../support/db.js';
import { startTestRelais } from '../../support/relais.js';

// PGlite has one connection: its transactions run one after the other, so answers can
// never race there and the test would prove nothing. On PostgreSQL the 50 transactions
// run at once on a pool of 20 connections, and only the row lock on the session keeps the
// count right.
describe.skipIf(!usingPostgres)('the last seats, taken at the same moment (PostgreSQL)', () => {
  let db: TestDatabase;
  let relais: Relais;
  let token: string;
  const clock = testClock('2026-03-02T08:00:00Z');
  const phone = (i: number) => `+3361234${String(6000 + i)}`;

  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 20 });
    const org = await db.prisma.organisation.create({
      data: { slug: 'seats', name: 'Département de la Sarthe', departementCode: '72' },
    });
    await db.prisma.territory.create({
      data: { organisationId: org.id, code: 'le-mans', name: 'Le Mans' },
    });
    token = await createApiToken(db.prisma, org.id, 'tests');
    relais = await startTestRelais(db, {}, { clock });
  }, 120_000);
  afterAll(async () => {
    await relais?.stop();
    await db?.destroy();
  });

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${relais.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('gives exactly 10 seats and offers the next sessions to the 40 others', async () => {
    const sessions = ['2026-03-10', '2026-03-12', '2026-03-17', '2026-03-19'].map((day, i) => ({
      ref: `S${i + 1}`,
      kind: 'rio',
      startsAt: `${day}T09:30:00+01:00`,
      place: 'Maison du Département',
      address: '2 rue Saint-Hilaire',
      capacity: i === 0 ? 30 : 60,
      territory: 'le-mans',
    }));
    expect((await post('/api/appointments', { appointments: sessions })).status).toBe(201);
    // 20 people already convoked to S1: 10 seats left.
    const convoked = Array.from({ length: 20 }, (_, i) => ({
      ref: `CONV-${i}`,
      firstName: 'Sam',
      phone: phone(100 + i),
      territory: 'le-mans',
      mode: 'convocation',
      session: 'S1',
    }));
    expect((await post('/api/people', { people: convoked })).status).toBe(201);
    const invited = Array.from({ length: 50 }, (_, i) => ({
      ref: `INV-${i}`,
      firstName: 'Alex',
      phone: phone(i),
      territory: 'le-mans',
    }));
    const res = await post('/api/people', { people: invited, mode: 'invitation' });
    expect(res.body.cases).toMatchObject({ invited: 50 });
    await relais.services.fires.runDue();

    clock.set('2026-03-02T09:00:00Z');
    const outcomes = await Promise.all(
      invited.map((_p, i) =>
        relais.services.conversations.handleInbound({
          channel: 'sms',
          address: phone(i),
          text: 'A',
          providerMessageId: `race-${i}`,
          receivedAt: clock(),
        }),
      ),
    );
    expect(outcomes.every((o) => o === 'handled')).toBe(true);

    const s1 = await db.prisma.appointment.findFirstOrThrow({ where: { externalRef: 'S1' } });
    expect(
      await db.prisma.participation.count({
        where: { appointmentId: s1.id, state: { in: SEAT_STATES } },
      }),
    ).toBe(30);
    const cases = await db.prisma.invitation.findMany({
      where: { person: { externalRef: { startsWith: 'INV-' } } },
    });
    const booked = cases.filter((c) => c.status === 'booked');
    const choosing = cases.filter((c) => c.status === 'choosing');
    expect(booked).toHaveLength(10);
    expect(choosing).toHaveLength(40);
    const next = (
      await db.prisma.appointment.findMany({
        where: { externalRef: { in: ['S2', 'S3', 'S4'] } },
        orderBy: { startsAt: 'asc' },
      })
    ).map((a) => a.id);
    for (const c of choosing) expect(c.options).toEqual(next);
    const full = await db.prisma.message.count({
      where: {
        direction: 'outbound',
        body: { startsWith: "Il n'y a plus de place le mardi 10 mars" },
      },
    });
    expect(full).toBe(40);
  });
});
