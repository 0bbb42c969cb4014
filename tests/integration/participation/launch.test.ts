// Launching a consultation survives a crash part-way and a retried request: the invite
// fire (or the same request again, under its Idempotency-Key) invites whoever is left,
// and never launches a second consultation. A reminder fire run twice counts once.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Relais } from '../../../src/app.js';
import { MINUTE, testClock } from '../../support/clock.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../../support/db.js';
import { type GroupFixture, groupWithMembers } from '../../support/fixtures.js';
import { startTestRelais } from '../../support/relais.js';

const clock = testClock('2026-03-10T09:00:00Z');
let db: TestDatabase;
let relais: Relais;
let group: GroupFixture;

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked by the assertions.
type Json = any;
async function post(
  body: unknown,
  key?: string,
): Promise<{ status: number; body: Json; replayed: string | null }> {
  const res = await fetch(`${relais.url}/api/consultations`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${group.token}`,
      'content-type': 'application/json',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    body: await res.json(),
    replayed: res.headers.get('idempotent-replayed'),
  };
}

const request = { group: 'groupe-test', flow: 'mobilite-forum', deadline: '2026-03-20T17:00:00Z' };

/** startRun fails from its `n`th call: the process "dies" in the middle of the invitations. */
function crashAfter(n: number) {
  const real = relais.services.conversations.startRun.bind(relais.services.conversations);
  let calls = 0;
  return vi.spyOn(relais.services.conversations, 'startRun').mockImplementation(async (...args) => {
    if (++calls > n) throw new Error('the process stopped here');
    return real(...args);
  });
}

const invitesOf = (consultationId: string) =>
  db.prisma.consultationInvite.findMany({ where: { consultationId } });

beforeAll(async () => {
  db = await createTestDatabase();
  relais = await startTestRelais(db, {}, { clock });
  group = await groupWithMembers(db.prisma, 10);
});
afterAll(async () => {
  await relais?.stop();
  await db?.destroy();
});

describe(`launching a consultation (${usingPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('launches once per Idempotency-Key, and refuses the key for another request', async () => {
    const first = await post(request, 'launch-2026-03-forum');
    expect(first).toMatchObject({ status: 201, replayed: 'false', body: { invited: 10 } });
    const again = await post(request, 'launch-2026-03-forum');
    expect(again).toMatchObject({ status: 200, replayed: 'true', body: first.body });
    expect(await db.prisma.consultation.count()).toBe(1);
    // One invitation (introduction and first question) per member, not two.
    expect(await db.prisma.message.count({ where: { direction: 'outbound' } })).toBe(20);

    const other = await post({ ...request, title: 'Autre chose' }, 'launch-2026-03-forum');
    expect(other).toMatchObject({
      status: 422,
      body: {
        error:
          'this Idempotency-Key was used for a different request; use a new key for a new consultation',
      },
    });
    const bad = await post(request, 'short');
    expect(bad).toMatchObject({
      status: 400,
      body: { problems: ['body: Idempotency-Key: 8 to 200 printable characters, e.g. a UUID'] },
    });
    // Without the header, every request is a new consultation (as before).
    expect((await post(request)).status).toBe(201);
    expect(await db.prisma.consultation.count()).toBe(2);
  });

  it('a retried request finishes the invitations a crash interrupted', async () => {
    const spy = crashAfter(4);
    const crashed = await post(request, 'launch-crash-retry');
    expect(crashed.status).toBe(500);
    spy.mockRestore();
    const c = await db.prisma.consultation.findFirstOrThrow({
      where: { idempotencyKey: 'launch-crash-retry' },
    });
    expect(await invitesOf(c.id)).toHaveLength(4);

    const retry = await post(request, 'launch-crash-retry');
    expect(retry).toMatchObject({ status: 200, body: { id: c.id, invited: 10, unreachable: 0 } });
    const invites = await invitesOf(c.id);
    expect(invites).toHaveLength(10);
    expect(invites.every((i) => i.runId)).toBe(true);
    const runs = await db.prisma.flowRun.count({ where: { contextId: c.id } });
    expect(runs).toBe(10);
  });

  it('the invite fire finishes them when nobody retries', async () => {
    const spy = crashAfter(3);
    await expect(
      relais.services.consultations.launch({
        organisationId: group.organisationId,
        group: 'groupe-test',
        flowId: 'mobilite-forum',
        deadline: new Date('2026-03-20T17:00:00Z'),
      }),
    ).rejects.toThrow('the process stopped here');
    spy.mockRestore();
    const c = await db.prisma.consultation.findFirstOrThrow({ orderBy: { createdAt: 'desc' } });
    expect(await invitesOf(c.id)).toHaveLength(3);
    clock.advance(5 * MINUTE);
    await relais.services.fires.runDue();
    expect(await invitesOf(c.id)).toHaveLength(10);
    // Nothing twice: two messages per member.
    const messages = await db.prisma.message.count({
      where: {
        contextType: 'run',
        contextId: {
          in: (await db.prisma.flowRun.findMany({ where: { contextId: c.id } })).map((r) => r.id),
        },
      },
    });
    expect(messages).toBe(20);
  });

  it('counts a reminder once when its fire runs again', async () => {
    // The newest consultation: an older one waits behind it and is not reminded meanwhile.
    const c = await db.prisma.consultation.findFirstOrThrow({ orderBy: { createdAt: 'desc' } });
    const fire = await db.prisma.scheduledFire.findFirstOrThrow({
      where: { subjectId: c.id, kind: 'consultation.reminder' },
      orderBy: { dueAt: 'asc' },
    });
    clock.set(fire.dueAt);
    // A crash after the messages were queued: the same fire runs a second time.
    expect(await relais.services.consultations.remind(fire, clock())).toBe('done');
    expect(await relais.services.consultations.remind(fire, clock())).toBe('done');
    const invites = await invitesOf(c.id);
    expect(invites.map((i) => i.remindersSent)).toEqual(Array(10).fill(1));
    const reminders = await db.prisma.message.count({
      where: { idempotencyKey: { startsWith: `fire:${fire.id}:` } },
    });
    expect(reminders).toBe(10);
  });
});
