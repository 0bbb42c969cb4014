// Loads the demo organisations. Every write is an upsert on a natural key (slug, code,
// external reference, address), so running it again changes nothing.
import type { PrismaClient } from '../generated/prisma/client.js';
import { type DemoOrganisation, deuxSevres, puyDeDome } from './demo-data.js';

export const demoOrganisations = [deuxSevres, puyDeDome];

// Fixed on purpose so that nothing moves between runs (statistics only need the band).
const REFERENCE_YEAR = 2026;

export async function seedOrganisation(
  prisma: PrismaClient,
  demo: DemoOrganisation,
): Promise<void> {
  const org = await prisma.organisation.upsert({
    where: { slug: demo.slug },
    create: { slug: demo.slug, name: demo.name, departementCode: demo.departementCode },
    update: {},
  });
  const territoryIds = new Map<string, string>();
  for (const t of demo.territories) {
    const { code, ...fields } = t;
    const row = await prisma.territory.upsert({
      where: { organisationId_code: { organisationId: org.id, code } },
      create: { organisationId: org.id, code, ...fields },
      update: {},
    });
    territoryIds.set(code, row.id);
  }
  for (const p of demo.partners) {
    await prisma.partner.upsert({
      where: { organisationId_code: { organisationId: org.id, code: p.code } },
      create: {
        organisationId: org.id,
        code: p.code,
        name: p.name,
        kind: p.kind,
        territoryId: p.territory ? territoryIds.get(p.territory) : undefined,
      },
      update: {},
    });
  }
  const groupIds = new Map<string, string>();
  for (const g of demo.groups) {
    const row = await prisma.group.upsert({
      where: { organisationId_code: { organisationId: org.id, code: g.code } },
      create: {
        organisationId: org.id,
        code: g.code,
        name: g.name,
        kind: g.kind,
        territoryId: g.territory ? territoryIds.get(g.territory) : undefined,
      },
      update: {},
    });
    groupIds.set(g.code, row.id);
  }
  for (const p of demo.people) {
    const person = await prisma.person.upsert({
      where: { organisationId_externalRef: { organisationId: org.id, externalRef: p.ref } },
      create: {
        organisationId: org.id,
        externalRef: p.ref,
        displayName: p.name,
        roles: p.roles,
        language: p.language ?? 'fr',
        territoryId: territoryIds.get(p.territory),
        birthYear: p.birthYear,
        ageBand:
          p.birthYear === undefined
            ? undefined
            : REFERENCE_YEAR - p.birthYear < 30
              ? 'under_30'
              : 'from_30',
      },
      update: {},
    });
    // Everyone can try the local web chat; beneficiaries also have a (fictional) mobile.
    const identities = [
      { channel: 'web' as const, address: `demo:${p.ref.toLowerCase()}`, preferred: !p.phone },
      ...(p.phone ? [{ channel: 'sms' as const, address: p.phone, preferred: true }] : []),
    ];
    for (const identity of identities) {
      const existing = await prisma.channelIdentity.findUnique({
        where: {
          organisationId_channel_address: {
            organisationId: org.id,
            channel: identity.channel,
            address: identity.address,
          },
        },
      });
      if (existing) continue;
      await prisma.channelIdentity.create({
        data: {
          organisationId: org.id,
          personId: person.id,
          channel: identity.channel,
          address: identity.address,
          preferred: identity.preferred,
          consent: 'granted',
          consentAt: new Date(Date.UTC(2026, 0, 5, 9)),
          consentSource: 'seed',
          consentEvents: {
            create: { action: 'granted', source: 'seed', at: new Date(Date.UTC(2026, 0, 5, 9)) },
          },
        },
      });
    }
    for (const g of p.groups ?? []) {
      const groupId = groupIds.get(g.code);
      if (!groupId) throw new Error(`demo person ${p.ref} names unknown group ${g.code}`);
      await prisma.membership.upsert({
        where: { groupId_personId: { groupId, personId: person.id } },
        create: { groupId, personId: person.id, role: g.role },
        update: {},
      });
    }
  }
}

export async function seed(prisma: PrismaClient): Promise<void> {
  for (const demo of demoOrganisations) await seedOrganisation(prisma, demo);
}
