import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seed } from '../../../src/seed/seed.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

const tables = [
  'Organisation',
  'Territory',
  'Partner',
  'Person',
  'ChannelIdentity',
  'ConsentEvent',
  'Group',
  'Membership',
];

async function snapshot(db: TestDatabase) {
  const out: Record<string, unknown[]> = {};
  for (const table of tables) {
    out[table] = await db.prisma.$queryRawUnsafe(`SELECT * FROM "${table}" ORDER BY id`);
  }
  return out;
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db.destroy());

describe('demo seed', () => {
  it('creates the demo départements with their real territories and partners', async () => {
    await seed(db.prisma);
    const ds = await db.prisma.organisation.findUniqueOrThrow({
      where: { slug: 'deux-sevres' },
      include: { territories: true, partners: true },
    });
    expect(ds.territories.map((t) => t.name).sort()).toEqual([
      'Bressuirais',
      'Haut Val de Sèvre',
      'Mellois',
      'Niortais',
      'Parthenay-Gâtine',
      'Thouarsais',
    ]);
    expect(ds.partners.map((p) => p.name)).toContain('France Travail');
    const pdd = await db.prisma.organisation.findUniqueOrThrow({
      where: { slug: 'puy-de-dome' },
      include: { territories: true },
    });
    expect(pdd.territories).toHaveLength(5);
    // Beneficiaries have fictional mobiles and consent recorded with its source.
    const lea = await db.prisma.person.findFirstOrThrow({
      where: { displayName: 'Léa' },
      include: { identities: true },
    });
    expect(lea.ageBand).toBe('under_30');
    expect(lea.identities.find((i) => i.channel === 'sms')).toMatchObject({
      address: '+33639980001',
      consent: 'granted',
      consentSource: 'seed',
    });
  });

  it('changes nothing when run again', async () => {
    const before = await snapshot(db);
    await seed(db.prisma);
    expect(await snapshot(db)).toEqual(before);
  });
});
