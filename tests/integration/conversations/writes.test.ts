// The conversation layer's writes (src/conversations/writes.ts): answers written claimed
// for a dispatcher next to messages left for it to claim, in one statement.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writes } from '../../../src/conversations/writes.js';
import { prismaRunner } from '../../../src/db/direct.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../../support/db.js';

describe(`writes of a batch (${usingPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('claims the answers for the dispatcher, leaves the rest queued, and returns the claimed', async () => {
    const p = db.prisma;
    const org = await p.organisation.create({ data: { slug: 'w', name: 'W' } });
    const person = await p.person.create({
      data: { organisationId: org.id, displayName: 'Ana', roles: ['beneficiary'] },
    });
    const identity = await p.channelIdentity.create({
      data: {
        organisationId: org.id,
        personId: person.id,
        channel: 'telegram',
        address: '777',
        consent: 'granted',
      },
    });
    const inbound = await p.message.create({
      data: {
        organisationId: org.id,
        personId: person.id,
        identityId: identity.id,
        direction: 'inbound',
        channel: 'telegram',
        status: 'received',
        body: '2',
        idempotencyKey: 'in:test:1',
      },
    });
    const at = new Date('2026-03-04T09:00:00Z');
    const base = {
      organisationId: org.id,
      personId: person.id,
      identityId: identity.id,
      channel: 'telegram' as const,
      purpose: 'conversation' as const,
    };
    // Through the direct statements (the batch of answers) or through Prisma (a run
    // started by a feature): the same rows, the same result.
    const write = (via: 'direct' | 'prisma') => {
      const writes = new Writes();
      writes.message({ ...base, text: 'Question 2', idempotencyKey: `reply:${inbound.id}:0` }, at);
      writes.message({ ...base, text: 'Pour l’équipe', idempotencyKey: 'notify:test:0' }, at);
      const claim = { by: 'instance-a', at };
      return via === 'direct'
        ? db.sql.transaction((tx) => writes.flush(tx, claim))
        : p.$transaction((tx) => writes.flush({ sql: prismaRunner(tx), prisma: tx }, claim));
    };
    const claimed = await write('direct');
    expect(claimed).toHaveLength(1);
    expect(claimed[0]).toMatchObject({
      body: 'Question 2',
      status: 'sending',
      claimedBy: 'instance-a',
      claimedAt: at,
      attempts: 1,
      createdAt: at,
      identity: { address: '777', optedOutAt: null, unreachableAt: null, consent: 'granted' },
    });
    const rows = await p.message.findMany({
      where: { direction: 'outbound', personId: person.id },
      orderBy: { id: 'asc' },
    });
    expect(rows.map((r) => [r.body, r.status, r.attempts, r.claimedBy])).toEqual([
      ['Question 2', 'sending', 1, 'instance-a'],
      ['Pour l’équipe', 'queued', 0, null],
    ]);
    // The same writes again (a redelivery): nothing new, nothing claimed twice.
    expect(await write('prisma')).toEqual([]);
    expect(await write('direct')).toEqual([]);
    expect(await p.message.count({ where: { direction: 'outbound' } })).toBe(2);
  });
});
