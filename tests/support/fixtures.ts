// Small, explicit data sets for tests (the demo seed is for people, not for assertions).

import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { createApiToken } from '../../src/http/auth.js';

export interface GroupFixture {
  organisationId: string;
  territoryId: string;
  groupId: string;
  groupCode: string;
  token: string;
  facilitator: { personId: string; identityId: string };
  members: { personId: string; identityId: string; address: string }[];
}

/** An organisation with one territory, a group of `size` members on the web chat, a facilitator. */
export async function groupWithMembers(
  prisma: PrismaClient,
  size: number,
  opts: { slug?: string; channel?: 'web' | 'sms'; language?: string } = {},
): Promise<GroupFixture> {
  const slug = opts.slug ?? 'test-dept';
  const org = await prisma.organisation.create({
    data: { slug, name: `Département ${slug}`, departementCode: '79' },
  });
  const territory = await prisma.territory.create({
    data: {
      organisationId: org.id,
      code: 'niortais',
      name: 'Niortais',
      helpName: 'Accueil insertion du Niortais',
      helpPhone: '01 99 00 79 04',
    },
  });
  const group = await prisma.group.create({
    data: {
      organisationId: org.id,
      code: 'groupe-test',
      name: "Groupe d'usagers test",
      territoryId: territory.id,
    },
  });
  const person = async (name: string, index: number, role: 'member' | 'facilitator') => {
    const p = await prisma.person.create({
      data: {
        organisationId: org.id,
        territoryId: territory.id,
        displayName: name,
        roles: [role === 'member' ? 'beneficiary' : 'facilitator'],
        language: opts.language ?? 'fr',
        birthYear: 1990,
      },
    });
    const channel = role === 'member' ? (opts.channel ?? 'web') : 'web';
    const address =
      channel === 'sms' ? `+3363998${String(index).padStart(4, '0')}` : `test:${role}:${index}`;
    const identity = await prisma.channelIdentity.create({
      data: {
        organisationId: org.id,
        personId: p.id,
        channel,
        address,
        consent: 'granted',
        consentAt: new Date('2026-01-05T09:00:00Z'),
        consentSource: 'test',
        preferred: true,
      },
    });
    await prisma.membership.create({ data: { groupId: group.id, personId: p.id, role } });
    return { personId: p.id, identityId: identity.id, address };
  };
  const facilitator = await person('Claire', 0, 'facilitator');
  const members = [];
  for (let i = 1; i <= size; i++) members.push(await person(`Personne ${i}`, i, 'member'));
  return {
    organisationId: org.id,
    territoryId: territory.id,
    groupId: group.id,
    groupCode: group.code,
    token: await createApiToken(prisma, org.id, 'tests'),
    facilitator,
    members,
  };
}
