// Demo data: real territories and partner organisations from the départements' own
// insertion pacts (see shared/research/seeds-requirements.md §3), invented people.
// Phone numbers are in the range ARCEP reserves for fiction (06 39 98 xx xx).
import type { PartnerKind, PersonRole } from '../generated/prisma/client.js';

export interface DemoTerritory {
  code: string;
  name: string;
  helpName: string;
  helpPhone: string;
  helpHours: string;
}
export interface DemoPartner {
  code: string;
  name: string;
  kind: PartnerKind;
  territory?: string;
}
export interface DemoPerson {
  ref: string;
  name: string;
  roles: PersonRole[];
  territory: string;
  birthYear?: number;
  language?: string;
  phone?: string;
  groups?: { code: string; role: 'member' | 'facilitator' }[];
}
export interface DemoOrganisation {
  slug: string;
  name: string;
  departementCode: string;
  territories: DemoTerritory[];
  partners: DemoPartner[];
  groups: {
    code: string;
    name: string;
    kind: 'user_group' | 'resource_group' | 'forum' | 'professionals';
    territory?: string;
  }[];
  people: DemoPerson[];
}

const help = (
  name: string,
  phone: string,
): Pick<DemoTerritory, 'helpName' | 'helpPhone' | 'helpHours'> => ({
  helpName: name,
  helpPhone: phone,
  helpHours: 'du lundi au vendredi, 9h-12h et 14h-17h',
});

export const deuxSevres: DemoOrganisation = {
  slug: 'deux-sevres',
  name: 'Département des Deux-Sèvres',
  departementCode: '79',
  territories: [
    {
      code: 'bressuirais',
      name: 'Bressuirais',
      ...help('Accueil insertion du Bressuirais', '01 99 00 79 01'),
    },
    {
      code: 'thouarsais',
      name: 'Thouarsais',
      ...help('Accueil insertion du Thouarsais', '01 99 00 79 02'),
    },
    {
      code: 'parthenay-gatine',
      name: 'Parthenay-Gâtine',
      ...help('Accueil insertion de Parthenay-Gâtine', '01 99 00 79 03'),
    },
    {
      code: 'niortais',
      name: 'Niortais',
      ...help('Accueil insertion du Niortais', '01 99 00 79 04'),
    },
    {
      code: 'haut-val-de-sevre',
      name: 'Haut Val de Sèvre',
      ...help('Accueil insertion du Haut Val de Sèvre', '01 99 00 79 05'),
    },
    { code: 'mellois', name: 'Mellois', ...help('Accueil insertion du Mellois', '01 99 00 79 06') },
  ],
  partners: [
    { code: 'france-travail', name: 'France Travail', kind: 'employment' },
    { code: 'caf', name: 'Caf des Deux-Sèvres', kind: 'family_benefits' },
    { code: 'msa', name: 'MSA', kind: 'agricultural_benefits' },
    { code: 'ars', name: 'ARS Nouvelle-Aquitaine', kind: 'state' },
    { code: 'region', name: 'Région Nouvelle-Aquitaine', kind: 'local_authority' },
    {
      code: 'can',
      name: "Communauté d'Agglomération du Niortais",
      kind: 'local_authority',
      territory: 'niortais',
    },
    {
      code: 'ml-parthenay',
      name: "Maison de l'emploi et des entreprises et Mission locale de Parthenay et de Gâtine",
      kind: 'youth',
      territory: 'parthenay-gatine',
    },
    {
      code: 'ml-sud',
      name: 'Mission locale Sud-Deux-Sèvres',
      kind: 'youth',
      territory: 'niortais',
    },
    {
      code: 'ml-bressuirais',
      name: "Maison de l'emploi et Mission locale du Bocage Bressuirais",
      kind: 'youth',
      territory: 'bressuirais',
    },
    {
      code: 'ml-thouarsais',
      name: "Maison de l'emploi et de la formation et Mission locale du Pays Thouarsais",
      kind: 'youth',
      territory: 'thouarsais',
    },
    {
      code: 'cbe-niortais-hvs',
      name: 'CBE Niortais et Haut Val de Sèvre',
      kind: 'employers',
      territory: 'haut-val-de-sevre',
    },
    { code: 'cbe-mellois', name: 'CBE Mellois', kind: 'employers', territory: 'mellois' },
    { code: 'cap-emploi', name: 'Cap Emploi', kind: 'employment' },
    { code: 'medef79', name: 'MEDEF 79', kind: 'employers' },
    { code: 'cpme', name: 'CPME', kind: 'employers' },
    { code: 'u2p', name: 'U2P', kind: 'employers' },
  ],
  groups: [
    { code: 'usagers-departemental', name: "Groupe d'usagers départemental", kind: 'user_group' },
    {
      code: 'forum-parthenay',
      name: 'Forum des usagers de Parthenay-Gâtine',
      kind: 'forum',
      territory: 'parthenay-gatine',
    },
    {
      code: 'forum-niortais',
      name: 'Forum des usagers du Niortais',
      kind: 'forum',
      territory: 'niortais',
    },
    { code: 'professionnels', name: "Professionnels de l'insertion", kind: 'professionals' },
  ],
  people: [
    {
      ref: 'DS-F01',
      name: 'Claire',
      roles: ['facilitator'],
      territory: 'parthenay-gatine',
      groups: [
        { code: 'usagers-departemental', role: 'facilitator' },
        { code: 'forum-parthenay', role: 'facilitator' },
      ],
    },
    {
      ref: 'DS-F02',
      name: 'Mehdi',
      roles: ['facilitator'],
      territory: 'niortais',
      groups: [{ code: 'forum-niortais', role: 'facilitator' }],
    },
    {
      ref: 'DS-R01',
      name: 'Sophie',
      roles: ['referent', 'professional'],
      territory: 'niortais',
      groups: [{ code: 'professionnels', role: 'member' }],
    },
    {
      ref: 'DS-R02',
      name: 'Julien',
      roles: ['referent', 'professional'],
      territory: 'parthenay-gatine',
      groups: [{ code: 'professionnels', role: 'member' }],
    },
    ...[
      ['Léa', 1999, 'parthenay-gatine'],
      ['Karim', 1987, 'parthenay-gatine'],
      ['Nathalie', 1975, 'parthenay-gatine'],
      ['Thomas', 2001, 'parthenay-gatine'],
      ['Fatou', 1992, 'parthenay-gatine'],
      ['Gérard', 1966, 'parthenay-gatine'],
      ['Inès', 2003, 'niortais'],
      ['Jean-Marc', 1970, 'niortais'],
      ['Samia', 1984, 'niortais'],
      ['Kevin', 1998, 'niortais'],
      ['Marie', 1979, 'niortais'],
      ['Dylan', 2002, 'thouarsais'],
      ['Sylvie', 1968, 'bressuirais'],
      ['Yannick', 1990, 'mellois'],
    ].map(
      ([name, year, territory], i): DemoPerson => ({
        ref: `DS-B${String(i + 1).padStart(2, '0')}`,
        name: name as string,
        roles: ['beneficiary'],
        territory: territory as string,
        birthYear: year as number,
        phone: `+336399800${String(i + 1).padStart(2, '0')}`,
        language: i === 4 ? 'fr-x-falc' : 'fr',
        groups: [
          { code: 'usagers-departemental', role: 'member' },
          ...(territory === 'parthenay-gatine'
            ? [{ code: 'forum-parthenay', role: 'member' as const }]
            : []),
          ...(territory === 'niortais'
            ? [{ code: 'forum-niortais', role: 'member' as const }]
            : []),
        ],
      }),
    ),
  ],
};

export const puyDeDome: DemoOrganisation = {
  slug: 'puy-de-dome',
  name: 'Département du Puy-de-Dôme',
  departementCode: '63',
  territories: [
    {
      code: 'clermont-ferrand',
      name: 'DTS Clermont-Ferrand',
      ...help('Direction Territoriale des Solidarités de Clermont-Ferrand', '01 99 00 63 01'),
    },
    {
      code: 'cournon',
      name: 'DTS Cournon',
      ...help('Direction Territoriale des Solidarités de Cournon', '01 99 00 63 02'),
    },
    {
      code: 'issoire',
      name: 'DTS Issoire',
      ...help("Direction Territoriale des Solidarités d'Issoire", '01 99 00 63 03'),
    },
    {
      code: 'riom',
      name: 'DTS Riom',
      ...help('Direction Territoriale des Solidarités de Riom', '01 99 00 63 04'),
    },
    {
      code: 'thiers',
      name: 'DTS Thiers',
      ...help('Direction Territoriale des Solidarités de Thiers', '01 99 00 63 05'),
    },
  ],
  partners: [
    { code: 'france-travail', name: 'France Travail', kind: 'employment' },
    { code: 'caf', name: 'Caf du Puy-de-Dôme', kind: 'family_benefits' },
    { code: 'msa', name: 'MSA Auvergne', kind: 'agricultural_benefits' },
    { code: 'cpam', name: 'CPAM du Puy-de-Dôme', kind: 'health_insurance' },
    { code: 'carsat', name: 'CARSAT Auvergne', kind: 'health_insurance' },
    {
      code: 'plie-clermont',
      name: 'PLIE de Clermont Auvergne Métropole',
      kind: 'employment',
      territory: 'clermont-ferrand',
    },
    { code: 'cdiae', name: 'CDIAE', kind: 'employers' },
    { code: 'france-benevolat', name: 'France Bénévolat', kind: 'association' },
  ],
  groups: [
    {
      code: 'groupe-ressources-thiers',
      name: 'Groupe ressources de Thiers',
      kind: 'resource_group',
      territory: 'thiers',
    },
  ],
  people: [
    {
      ref: 'PDD-F01',
      name: 'Agnès',
      roles: ['facilitator'],
      territory: 'thiers',
      groups: [{ code: 'groupe-ressources-thiers', role: 'facilitator' }],
    },
    ...[
      ['Lucas', 2000],
      ['Nadia', 1988],
      ['Bernard', 1963],
      ['Chloé', 1997],
    ].map(
      ([name, year], i): DemoPerson => ({
        ref: `PDD-B${String(i + 1).padStart(2, '0')}`,
        name: name as string,
        roles: ['beneficiary'],
        territory: 'thiers',
        birthYear: year as number,
        phone: `+336399863${String(i + 1).padStart(2, '0')}`,
        groups: [{ code: 'groupe-ressources-thiers', role: 'member' }],
      }),
    ),
  ],
};
