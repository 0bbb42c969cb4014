// Imports of sessions and of people (with their convocation or invitation), from the CSV
// files agents export or from JSON. Every row is checked first; invalid rows are listed
// with their line and reason; the valid ones are written in one transaction, so a file is
// imported completely or not at all (a crash half-way leaves nothing). The same content
// again returns the first report and changes nothing; a row already imported from
// another file (same reference) updates that person or session instead of duplicating it.
import { createHash } from 'node:crypto';
import { isUniqueViolation } from '../db/types.js';
import { normalisePhone } from '../domain/phone.js';
import type { AppointmentKind, ParticipationMode, Prisma } from '../generated/prisma/client.js';
import { bulkInsert, rowsOf, COLUMNS as SQL_COLUMNS, updatedAt } from './bulk.js';
import { type CsvRow, type CsvTable, cell, hasColumn, normaliseHeader } from './csv.js';
import { parseLocalDate } from './dates.js';
import { chunks, uuidv7 } from './ids.js';
import { NOT_OFFERED } from './seats.js';
import {
  type AppointmentService,
  type CaseReport,
  type CaseRequest,
  INDIVIDUAL_NOT_INVITED,
  type SessionChange,
} from './service.js';
import type { OrganisationContext } from './settings.js';

type Tx = Prisma.TransactionClient;

// Accepted column names (as normalised by normaliseHeader); the first is the canonical one.
export const COLUMNS = {
  ref: [
    'reference',
    'ref',
    'id',
    'identifiant',
    'numero',
    'numero_dossier',
    'dossier',
    'matricule',
  ],
  firstName: ['prenom', 'first_name', 'firstname', 'nom_usage', 'nom'],
  phone: [
    'telephone',
    'portable',
    'mobile',
    'tel',
    'telephone_portable',
    'numero_telephone',
    'phone',
  ],
  email: [
    'email',
    'e_mail',
    'courriel',
    'mail',
    'adresse_mail',
    'adresse_email',
    'adresse_e_mail',
    'adresse_courriel',
    'adresse_electronique',
  ],
  birth: ['annee_naissance', 'date_naissance', 'naissance', 'birth_year', 'birthyear'],
  oriented: ['date_orientation', 'orientation', 'oriented_at', 'orientedat'],
  territory: ['territoire', 'territory', 'secteur', 'code_territoire'],
  language: ['langue', 'language'],
  referent: ['referent', 'ref_referent'],
  mode: ['mode', 'action'],
  session: ['ref_seance', 'seance', 'ref_rdv', 'session'],
  sessionDate: ['date_rdv', 'date_seance', 'date_reunion', 'rdv', 'session_date', 'sessiondate'],
  sessionTime: ['heure_rdv', 'heure_seance', 'heure'],
  kind: ['type', 'type_rdv', 'kind', 'nature'],
  title: ['titre', 'intitule', 'libelle', 'title'],
  startsAt: ['date', 'debut', 'date_heure', 'starts_at', 'startsat', 'date_seance', 'date_rdv'],
  endsAt: ['fin', 'heure_fin', 'ends_at', 'endsat'],
  duration: ['duree', 'duree_minutes', 'duration_minutes', 'durationminutes'],
  place: ['lieu', 'place', 'salle', 'lieu_rdv'],
  address: ['adresse', 'address', 'adresse_rdv'],
  capacity: ['places', 'capacite', 'capacity', 'nombre_places'],
  organiser: ['organisateur', 'organiser', 'structure'],
  byPhone: ['par_telephone', 'by_phone', 'byphone'],
} as const;

const KINDS: Record<string, AppointmentKind> = {
  rio: 'rio',
  reunion_information_orientation: 'rio',
  reunion_information_et_orientation: 'rio',
  atelier: 'workshop',
  workshop: 'workshop',
  information: 'information',
  reunion_information: 'information',
  information_collective: 'information',
  individuel: 'individual',
  individual: 'individual',
  rendez_vous: 'individual',
  rdv: 'individual',
  entretien: 'individual',
  forum: 'forum',
  autre: 'other',
  other: 'other',
};

function kindOf(raw: string | undefined, fallback: AppointmentKind): AppointmentKind | undefined {
  if (!raw) return fallback;
  return KINDS[normaliseHeader(raw)];
}

const YES = new Set(['oui', 'o', 'x', '1', 'yes', 'vrai', 'true']);

/** What an address must look like to be written to (the server says the rest). */
const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[a-z]{2,}$/i;

export interface InvalidRow {
  line: number;
  reason: string;
}

export interface ImportReport {
  batchId: string;
  /** The same content was imported before: this is that import's report. */
  duplicate: boolean;
  encoding?: string;
  delimiter?: string;
  rows: number;
  imported: number;
  invalid: InvalidRow[];
  people?: { created: number; updated: number };
  sessions?: { created: number; updated: number; moved: number };
  cases?: Omit<CaseReport, 'fires'>;
  orientations?: number;
  reminders?: number;
}

export class ImportError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function checksumOf(content: Uint8Array | string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** JSON rows to the same cells as a CSV: keys are mapped to canonical column names. */
export function rowsFromJson(
  items: Record<string, unknown>[],
  mapping: Record<string, string>,
): CsvTable {
  const headers = new Set<string>();
  const rows: CsvRow[] = items.map((item, i) => {
    const cells: Record<string, string> = {};
    for (const [key, value] of Object.entries(item)) {
      if (value === null || value === undefined || value === '') continue;
      const name = mapping[key] ?? normaliseHeader(key);
      headers.add(name);
      cells[name] = typeof value === 'boolean' ? (value ? 'oui' : 'non') : String(value);
    }
    return { line: i + 1, cells };
  });
  return { headers: [...headers], rows, encoding: 'utf-8', delimiter: ',' };
}

export const PEOPLE_JSON_FIELDS: Record<string, string> = {
  ref: 'reference',
  firstName: 'prenom',
  phone: 'telephone',
  email: 'email',
  birthYear: 'annee_naissance',
  orientedAt: 'date_orientation',
  territory: 'territoire',
  language: 'langue',
  referent: 'referent',
  mode: 'mode',
  session: 'ref_seance',
  sessionDate: 'date_rdv',
  place: 'lieu',
  address: 'adresse',
  kind: 'type',
  title: 'titre',
  capacity: 'places',
  organiser: 'organisateur',
};

export const SESSION_JSON_FIELDS: Record<string, string> = {
  ref: 'reference',
  kind: 'type',
  title: 'titre',
  startsAt: 'date',
  endsAt: 'fin',
  durationMinutes: 'duree',
  place: 'lieu',
  address: 'adresse',
  capacity: 'places',
  territory: 'territoire',
  organiser: 'organisateur',
  referent: 'referent',
  byPhone: 'par_telephone',
};

interface SessionRow {
  line: number;
  externalRef: string;
  kind: AppointmentKind;
  title: string;
  startsAt: Date;
  endsAt: Date | null;
  place: string | null;
  address: string | null;
  capacity: number | null;
  territoryId: string | null;
  organiserName: string | null;
  referentId: string | null;
  byPhone: boolean;
}

interface PersonRow {
  line: number;
  ref: string;
  displayName: string;
  phone: string;
  /** Lower-cased; null: no Email column or an empty cell. */
  email: string | null;
  birthYear: number | null;
  orientedAt: Date | null;
  territoryId: string | null;
  language: string | null;
  referentId: string | null;
  action?:
    | { mode: 'convocation'; sessionRef: string; inline?: SessionRow }
    | { mode: 'invitation'; kind: AppointmentKind };
}

interface Lookups {
  territories: Map<string, string>;
  referents: Map<string, string>;
}

async function lookups(tx: Tx, org: OrganisationContext): Promise<Lookups> {
  const territories = new Map<string, string>();
  for (const t of await tx.territory.findMany({ where: { organisationId: org.id } })) {
    territories.set(normaliseHeader(t.code), t.id);
    territories.set(normaliseHeader(t.name), t.id);
  }
  const referents = new Map<string, string>();
  // Raw: Prisma's "has" on an enum array is refused by the PGlite adapter.
  const rows = await tx.$queryRaw<{ id: string; externalRef: string }[]>`
    SELECT id, "externalRef" FROM "Person"
     WHERE "organisationId" = ${org.id}::uuid AND "externalRef" IS NOT NULL
       AND 'referent'::"PersonRole" = ANY(roles)`;
  for (const p of rows) referents.set(p.externalRef, p.id);
  return { territories, referents };
}

function autoRef(kind: AppointmentKind, startsAt: Date, place: string | null): string {
  return `auto:${kind}:${startsAt.toISOString()}:${normaliseHeader(place ?? '')}`;
}

function parseSessionRow(
  row: CsvRow,
  org: OrganisationContext,
  l: Lookups,
  names: { date: readonly string[]; time?: readonly string[] },
  problems: string[],
): SessionRow | undefined {
  const kind = kindOf(cell(row, COLUMNS.kind), 'rio');
  if (!kind) problems.push(`unknown type "${cell(row, COLUMNS.kind)}"`);
  let dateText = cell(row, names.date);
  const time = names.time ? cell(row, names.time) : undefined;
  if (dateText && time && !/\d[:hH]\d*\s*$/.test(dateText)) dateText = `${dateText} ${time}`;
  const date = parseLocalDate(dateText, org.timezone);
  if (!date.ok)
    problems.push(date.reason === 'missing date' ? 'missing session date' : date.reason);
  else if (!date.hasTime) problems.push(`no time in "${dateText}" (expected DD/MM/YYYY HH:MM)`);
  let endsAt: Date | null = null;
  const endText = cell(row, COLUMNS.endsAt);
  const duration = cell(row, COLUMNS.duration);
  if (date.ok && endText) {
    const end = /^\d{1,2}[:hH]\d{0,2}$/.test(endText)
      ? parseLocalDate(`${dateText?.replace(/[ T].*$/, '')} ${endText}`, org.timezone)
      : parseLocalDate(endText, org.timezone);
    if (!end.ok) problems.push(`end: ${end.reason}`);
    else if (end.at <= date.at) problems.push('the end is before the start');
    else endsAt = end.at;
  } else if (date.ok && duration) {
    const minutes = Number(duration.replace(',', '.'));
    if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 24 * 60) {
      problems.push(`not a duration in minutes: "${duration}"`);
    } else endsAt = new Date(date.at.getTime() + minutes * 60_000);
  }
  let capacity: number | null = null;
  const cap = cell(row, COLUMNS.capacity);
  if (cap) {
    capacity = Number(cap);
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 10_000) {
      problems.push(`not a number of seats: "${cap}"`);
      capacity = null;
    }
  }
  let territoryId: string | null = null;
  const territory = cell(row, COLUMNS.territory);
  if (territory) {
    territoryId = l.territories.get(normaliseHeader(territory)) ?? null;
    if (!territoryId) problems.push(`unknown territory "${territory}"`);
  }
  let referentId: string | null = null;
  const referent = cell(row, COLUMNS.referent);
  if (referent) {
    referentId = l.referents.get(referent) ?? null;
    if (!referentId) problems.push(`unknown référent "${referent}"`);
  }
  if (problems.length || !date.ok || !kind) return undefined;
  const place = cell(row, COLUMNS.place) ?? null;
  return {
    line: row.line,
    externalRef: autoRef(kind, date.at, place),
    kind,
    title: cell(row, COLUMNS.title) ?? '',
    startsAt: date.at,
    endsAt,
    place,
    address: cell(row, COLUMNS.address) ?? null,
    capacity,
    territoryId,
    organiserName: cell(row, COLUMNS.organiser) ?? null,
    referentId,
    byPhone: YES.has(normaliseHeader(cell(row, COLUMNS.byPhone) ?? '')),
  };
}

function language(raw: string | undefined): string | null | false {
  if (!raw) return null;
  const n = normaliseHeader(raw);
  if (['fr', 'francais', 'french'].includes(n)) return 'fr';
  if (['en', 'anglais', 'english'].includes(n)) return 'en';
  if (['falc', 'fr_x_falc', 'facile', 'francais_facile', 'facile_a_lire'].includes(n)) {
    return 'fr-x-falc';
  }
  return false;
}

export class Importer {
  constructor(private readonly service: AppointmentService) {}

  private async once(
    organisationId: string,
    kind: string,
    checksum: string,
    work: (tx: Tx, batchId: string) => Promise<ImportReport>,
    rows: number,
  ): Promise<ImportReport> {
    const { prisma } = this.service;
    const previous = await prisma.importBatch.findUnique({
      where: { organisationId_kind_checksum: { organisationId, kind, checksum } },
    });
    if (previous) return { ...(previous.report as unknown as ImportReport), duplicate: true };
    try {
      return await this.service.transaction(async (tx) => {
        const batchId = uuidv7();
        // First, so that the same file sent twice at once waits here and is refused.
        await tx.importBatch.create({
          data: {
            id: batchId,
            organisationId,
            kind,
            checksum,
            rows,
            imported: 0,
            invalid: 0,
            report: {},
            createdAt: this.service.now(),
          },
        });
        const report = await work(tx, batchId);
        await tx.importBatch.update({
          where: { id: batchId },
          data: {
            imported: report.imported,
            invalid: report.invalid.length,
            report: report as unknown as object,
          },
        });
        return report;
      }, 600_000);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const done = await prisma.importBatch.findUniqueOrThrow({
        where: { organisationId_kind_checksum: { organisationId, kind, checksum } },
      });
      return { ...(done.report as unknown as ImportReport), duplicate: true };
    }
  }

  // -------------------------------------------------------------------------------
  // Sessions

  async importSessions(
    organisationId: string,
    table: CsvTable,
    checksum: string,
  ): Promise<ImportReport> {
    return this.once(
      organisationId,
      'sessions',
      checksum,
      async (tx, batchId) => {
        const now = this.service.now();
        const org = await this.service.organisation(tx, organisationId);
        const l = await lookups(tx, org);
        const invalid: InvalidRow[] = [];
        const valid: SessionRow[] = [];
        const seen = new Map<string, number>();
        for (const row of table.rows) {
          const problems: string[] = [];
          const s = parseSessionRow(row, org, l, { date: COLUMNS.startsAt }, problems);
          const ref = cell(row, COLUMNS.ref);
          if (s && ref) s.externalRef = ref;
          if (s && seen.has(s.externalRef)) {
            problems.push(`the same session as line ${seen.get(s.externalRef)}`);
          }
          if (!s || problems.length) {
            invalid.push({ line: row.line, reason: [...new Set(problems)].join('; ') });
            continue;
          }
          seen.set(s.externalRef, row.line);
          valid.push(s);
        }
        const result = await this.writeSessions(tx, org, valid, now);
        return {
          batchId,
          duplicate: false,
          encoding: table.encoding,
          delimiter: table.delimiter,
          rows: table.rows.length,
          imported: valid.length,
          invalid,
          sessions: result.counts,
        };
      },
      table.rows.length,
    );
  }

  /** Creates new sessions, updates known ones (a new date or place is a move). */
  async writeSessions(
    tx: Tx,
    org: OrganisationContext,
    rows: SessionRow[],
    now: Date,
    seriesId?: string,
  ): Promise<{
    ids: Map<string, string>;
    counts: { created: number; updated: number; moved: number };
  }> {
    const counts = { created: 0, updated: 0, moved: 0 };
    const ids = new Map<string, string>();
    const refs = [...new Set(rows.map((r) => r.externalRef))];
    for (const part of chunks(refs, 5000)) {
      for (const a of await tx.appointment.findMany({
        where: { organisationId: org.id, externalRef: { in: part } },
      })) {
        ids.set(a.externalRef as string, a.id);
        const row = rows.find((r) => r.externalRef === a.externalRef) as SessionRow;
        const change: SessionChange = {};
        if (row.startsAt.getTime() !== a.startsAt.getTime()) change.startsAt = row.startsAt;
        if (row.place !== a.place && row.place !== null) change.place = row.place;
        if (row.address !== a.address && row.address !== null) change.address = row.address;
        if (row.capacity !== a.capacity && row.capacity !== null) change.capacity = row.capacity;
        if (row.title && row.title !== a.title) change.title = row.title;
        if (row.endsAt && row.endsAt.getTime() !== a.endsAt?.getTime()) change.endsAt = row.endsAt;
        if (row.organiserName && row.organiserName !== a.organiserName) {
          change.organiserName = row.organiserName;
        }
        if (!Object.keys(change).length || a.status === 'cancelled') continue;
        const moved = Boolean(change.startsAt || change.place || change.address);
        await this.service.changeSessionIn(tx, org.id, a.id, change);
        if (moved) counts.moved++;
        else counts.updated++;
      }
    }
    // A session named by its date and place on a person's row is the session already
    // planned at that time and place, whatever reference it was imported with.
    const unnamed = rows.filter(
      (r) => !ids.has(r.externalRef) && r.externalRef.startsWith('auto:'),
    );
    if (unnamed.length) {
      const times = [...new Set(unnamed.map((r) => r.startsAt.getTime()))].map((t) => new Date(t));
      for (const part of chunks(times, 5000)) {
        const planned = await tx.appointment.findMany({
          where: { organisationId: org.id, startsAt: { in: part }, status: 'scheduled' },
          select: { id: true, kind: true, startsAt: true, place: true },
        });
        for (const r of unnamed) {
          const same = planned.find(
            (a) =>
              a.kind === r.kind &&
              a.startsAt.getTime() === r.startsAt.getTime() &&
              normaliseHeader(a.place ?? '') === normaliseHeader(r.place ?? ''),
          );
          if (same) ids.set(r.externalRef, same.id);
        }
      }
    }
    const fresh = rows.filter((r) => !ids.has(r.externalRef));
    const data = fresh.map((r) => {
      const id = uuidv7(now.getTime());
      ids.set(r.externalRef, id);
      return {
        id,
        organisationId: org.id,
        territoryId: r.territoryId,
        kind: r.kind,
        externalRef: r.externalRef,
        title: r.title,
        startsAt: r.startsAt,
        endsAt: r.endsAt,
        place: r.place,
        address: r.address,
        byPhone: r.byPhone,
        capacity: r.capacity,
        organiserName: r.organiserName,
        referentId: r.referentId,
        seriesId: seriesId ?? null,
        createdAt: now,
      };
    });
    for (const part of chunks(data, 1000)) await tx.appointment.createMany({ data: part });
    counts.created = data.length;
    return { ids, counts };
  }

  // -------------------------------------------------------------------------------
  // People, with their convocation or invitation

  async importPeople(
    organisationId: string,
    table: CsvTable,
    checksum: string,
    options: { mode?: ParticipationMode; kind?: AppointmentKind } = {},
  ): Promise<ImportReport> {
    return this.once(
      organisationId,
      'people',
      checksum,
      async (tx, batchId) => {
        const now = this.service.now();
        const org = await this.service.organisation(tx, organisationId);
        const l = await lookups(tx, org);
        const invalid: InvalidRow[] = [];
        let valid: PersonRow[] = [];
        const refLines = new Map<string, number>();
        const phoneLines = new Map<string, number>();
        const emailLines = new Map<string, number>();
        const sessionColumns =
          hasColumn(table, COLUMNS.sessionDate) || hasColumn(table, COLUMNS.session);
        for (const row of table.rows) {
          const problems: string[] = [];
          const p = this.parsePerson(row, org, l, problems, sessionColumns, options);
          if (p && refLines.has(p.ref)) {
            problems.push(`reference ${p.ref} already on line ${refLines.get(p.ref)}`);
          }
          if (p && phoneLines.has(p.phone)) {
            problems.push(`the same phone number as line ${phoneLines.get(p.phone)}`);
          }
          if (p?.email && emailLines.has(p.email)) {
            problems.push(`the same email address as line ${emailLines.get(p.email)}`);
          }
          if (!p || problems.length) {
            invalid.push({ line: row.line, reason: [...new Set(problems)].join('; ') });
            continue;
          }
          refLines.set(p.ref, row.line);
          phoneLines.set(p.phone, row.line);
          if (p.email) emailLines.set(p.email, row.line);
          valid.push(p);
        }

        // People already known (by reference) and numbers already known (by address).
        const known = new Map<
          string,
          {
            id: string;
            displayName: string;
            birthYear: number | null;
            orientedAt: Date | null;
            territoryId: string | null;
            language: string;
            referentId: string | null;
            ageBand: 'under_30' | 'from_30' | null;
          }
        >();
        const numbers = new Map<string, { personId: string; id: string }>();
        const emails = new Map<string, { personId: string; id: string }>();
        for (const part of chunks(valid, 5000)) {
          for (const p of await tx.person.findMany({
            where: { organisationId: org.id, externalRef: { in: part.map((r) => r.ref) } },
            select: {
              id: true,
              externalRef: true,
              displayName: true,
              birthYear: true,
              orientedAt: true,
              territoryId: true,
              language: true,
              referentId: true,
              ageBand: true,
            },
          })) {
            known.set(p.externalRef as string, p);
          }
          for (const i of await tx.channelIdentity.findMany({
            where: {
              organisationId: org.id,
              channel: 'sms',
              address: { in: part.map((r) => r.phone) },
            },
            select: { id: true, personId: true, address: true },
          })) {
            numbers.set(i.address, { personId: i.personId, id: i.id });
          }
          const addresses = part.flatMap((r) => (r.email ? [r.email] : []));
          if (addresses.length) {
            for (const i of await tx.channelIdentity.findMany({
              where: { organisationId: org.id, channel: 'email', address: { in: addresses } },
              select: { id: true, personId: true, address: true },
            })) {
              emails.set(i.address, { personId: i.personId, id: i.id });
            }
          }
        }
        // A number is one person's: replies by SMS must find who wrote.
        valid = valid.filter((r) => {
          const owner = numbers.get(r.phone);
          const self = known.get(r.ref);
          if (owner && owner.personId !== self?.id) {
            invalid.push({ line: r.line, reason: 'this phone number belongs to another person' });
            return false;
          }
          const mailOwner = r.email ? emails.get(r.email) : undefined;
          if (mailOwner && mailOwner.personId !== self?.id) {
            invalid.push({ line: r.line, reason: 'this email address belongs to another person' });
            return false;
          }
          return true;
        });

        // Sessions named by reference must exist: checked before anything is written.
        const named = valid.flatMap((r) =>
          r.action?.mode === 'convocation' && !r.action.inline ? [r.action.sessionRef] : [],
        );
        const sessionIds = new Map<string, string>();
        for (const part of chunks([...new Set(named)], 5000)) {
          for (const a of await tx.appointment.findMany({
            where: { organisationId: org.id, externalRef: { in: part } },
            select: { id: true, externalRef: true },
          })) {
            sessionIds.set(a.externalRef as string, a.id);
          }
        }
        valid = valid.filter((r) => {
          if (r.action?.mode !== 'convocation' || r.action.inline) return true;
          if (sessionIds.has(r.action.sessionRef)) return true;
          invalid.push({
            line: r.line,
            reason: `no session with reference ${r.action.sessionRef}`,
          });
          return false;
        });

        // People: new ones in bulk, known ones updated when something changed.
        const people = { created: 0, updated: 0 };
        const personIds = new Map<string, string>();
        const newPeople: Prisma.PersonCreateManyInput[] = [];
        const orientations: { personId: string; orientedAt: Date }[] = [];
        for (const r of valid) {
          const existing = known.get(r.ref);
          if (!existing) {
            const id = uuidv7(now.getTime());
            personIds.set(r.ref, id);
            newPeople.push({
              id,
              organisationId: org.id,
              externalRef: r.ref,
              displayName: r.displayName,
              roles: ['beneficiary'],
              language: r.language ?? 'fr',
              birthYear: r.birthYear,
              orientedAt: r.orientedAt,
              territoryId: r.territoryId,
              referentId: r.referentId,
              createdAt: now,
            });
            if (r.orientedAt) orientations.push({ personId: id, orientedAt: r.orientedAt });
            continue;
          }
          personIds.set(r.ref, existing.id);
          const data: Prisma.PersonUpdateInput = {};
          if (r.displayName !== existing.displayName) data.displayName = r.displayName;
          if (r.birthYear !== null && r.birthYear !== existing.birthYear)
            data.birthYear = r.birthYear;
          if (r.territoryId && r.territoryId !== existing.territoryId) {
            data.territory = { connect: { id: r.territoryId } };
          }
          if (r.language && r.language !== existing.language) data.language = r.language;
          if (r.referentId && r.referentId !== existing.referentId) {
            data.referent = { connect: { id: r.referentId } };
          }
          if (r.orientedAt && r.orientedAt.getTime() !== existing.orientedAt?.getTime()) {
            data.orientedAt = r.orientedAt;
            orientations.push({ personId: existing.id, orientedAt: r.orientedAt });
          }
          if (Object.keys(data).length) {
            await tx.person.update({ where: { id: existing.id }, data });
            people.updated++;
          }
        }
        await bulkInsert(tx, 'Person', SQL_COLUMNS.Person, rowsOf(SQL_COLUMNS.Person, newPeople), {
          constants: [
            { name: 'roles', sql: `ARRAY['beneficiary']::"PersonRole"[]` },
            updatedAt(now),
          ],
        });
        people.created = newPeople.length;

        // Mobile numbers: consent from the import (the département's own file), evidence kept.
        const identities: Prisma.ChannelIdentityCreateManyInput[] = [];
        const replaced: string[] = [];
        const replacedEmails: string[] = [];
        // An address from the agents' file: its consent is recorded as given at the import.
        const imported = (
          personId: string,
          channel: 'email' | 'sms',
          address: string,
        ): Prisma.ChannelIdentityCreateManyInput => ({
          id: uuidv7(now.getTime()),
          organisationId: org.id,
          personId,
          channel,
          address,
          consent: 'granted',
          consentAt: now,
          consentSource: 'import',
          createdAt: now,
        });
        for (const r of valid) {
          const personId = personIds.get(r.ref) as string;
          // An email address too, when the file has one: copies of appointment messages
          // go to it if the organisation sends them (settings emailCopy).
          if (r.email && !emails.has(r.email)) {
            if (known.has(r.ref)) replacedEmails.push(personId);
            identities.push(imported(personId, 'email', r.email));
          }
          if (numbers.has(r.phone)) continue;
          if (known.has(r.ref)) replaced.push(personId);
          identities.push(imported(personId, 'sms', r.phone));
        }
        if (replacedEmails.length) {
          await tx.channelIdentity.updateMany({
            where: { personId: { in: replacedEmails }, channel: 'email', unreachableAt: null },
            data: {
              unreachableAt: now,
              unreachableReason: 'replaced by a newer address (import)',
            },
          });
        }
        if (replaced.length) {
          // A new number replaces the one the person had: the old one is not written to.
          await tx.channelIdentity.updateMany({
            where: { personId: { in: replaced }, channel: 'sms', unreachableAt: null },
            data: { unreachableAt: now, unreachableReason: 'replaced by a newer number (import)' },
          });
        }
        await bulkInsert(
          tx,
          'ChannelIdentity',
          SQL_COLUMNS.ChannelIdentity,
          rowsOf(SQL_COLUMNS.ChannelIdentity, identities),
          { constants: [updatedAt(now)] },
        );
        await bulkInsert(
          tx,
          'ConsentEvent',
          SQL_COLUMNS.ConsentEvent,
          identities.map((i) => [uuidv7(now.getTime()), i.id, 'granted', 'import', now]),
        );

        // Sessions named inline (date and place on the row) are found or created.
        const inline = valid.flatMap((r) =>
          r.action?.mode === 'convocation' && r.action.inline ? [r.action.inline] : [],
        );
        const uniqueInline = [...new Map(inline.map((s) => [s.externalRef, s])).values()];
        const sessions = await this.writeSessions(tx, org, uniqueInline, now);
        for (const [ref, id] of sessions.ids) sessionIds.set(ref, id);

        const requests: CaseRequest[] = [];
        for (const r of valid) {
          if (!r.action) continue;
          const personId = personIds.get(r.ref) as string;
          const existing = known.get(r.ref);
          const person = {
            id: personId,
            territoryId: r.territoryId ?? existing?.territoryId ?? null,
            birthYear: r.birthYear ?? existing?.birthYear ?? null,
            ageBand: existing?.ageBand ?? null,
            referentId: r.referentId ?? existing?.referentId ?? null,
          };
          if (r.action.mode === 'invitation') {
            requests.push({ person, kind: r.action.kind, mode: 'invitation', line: r.line });
            continue;
          }
          const appointmentId = sessionIds.get(r.action.sessionRef) as string;
          requests.push({
            person,
            kind: 'rio',
            mode: 'convocation',
            appointmentId,
            line: r.line,
          });
        }
        const cases = await this.service.createCases(tx, org, requests, now);
        const orientationsPlanned = await this.service.recordOrientations(
          tx,
          org,
          orientations,
          now,
        );
        invalid.sort((a, b) => a.line - b.line);
        const { fires, ...caseCounts } = cases;
        return {
          batchId,
          duplicate: false,
          encoding: table.encoding,
          delimiter: table.delimiter,
          rows: table.rows.length,
          imported: table.rows.length - invalid.length,
          invalid,
          people,
          sessions: sessions.counts,
          cases: caseCounts,
          orientations: orientationsPlanned,
          reminders: fires,
        };
      },
      table.rows.length,
    );
  }

  private parsePerson(
    row: CsvRow,
    org: OrganisationContext,
    l: Lookups,
    problems: string[],
    sessionColumns: boolean,
    options: { mode?: ParticipationMode; kind?: AppointmentKind },
  ): PersonRow | undefined {
    const ref = cell(row, COLUMNS.ref);
    if (!ref) problems.push('missing reference');
    else if (ref.length > 64) problems.push('reference longer than 64 characters');
    const first = cell(row, COLUMNS.firstName);
    if (!first) problems.push('missing first name');
    const phone = normalisePhone(cell(row, COLUMNS.phone), org.phoneRegion);
    if (!phone.ok) problems.push(`phone: ${phone.message}`);
    const emailText = cell(row, COLUMNS.email)?.trim().toLowerCase();
    if (emailText && (emailText.length > 254 || !EMAIL.test(emailText))) {
      problems.push('email: not an email address (expected name@example.fr)');
    }
    let birthYear: number | null = null;
    const birth = cell(row, COLUMNS.birth);
    if (birth) {
      if (/^\d{4}$/.test(birth)) birthYear = Number(birth);
      else {
        const d = parseLocalDate(birth, org.timezone);
        if (d.ok) birthYear = Number(d.at.toISOString().slice(0, 4));
        else problems.push(`birth: ${d.reason}`);
      }
      if (birthYear !== null && (birthYear < 1900 || birthYear > new Date().getUTCFullYear())) {
        problems.push(`birth: not a plausible year (${birthYear})`);
      }
    }
    let orientedAt: Date | null = null;
    const oriented = cell(row, COLUMNS.oriented);
    if (oriented) {
      const d = parseLocalDate(oriented, org.timezone);
      if (d.ok) orientedAt = d.at;
      else problems.push(`orientation date: ${d.reason}`);
    }
    let territoryId: string | null = null;
    const territory = cell(row, COLUMNS.territory);
    if (territory) {
      territoryId = l.territories.get(normaliseHeader(territory)) ?? null;
      if (!territoryId) problems.push(`unknown territory "${territory}"`);
    }
    const lang = language(cell(row, COLUMNS.language));
    if (lang === false) problems.push(`unknown language "${cell(row, COLUMNS.language)}"`);
    let referentId: string | null = null;
    const referent = cell(row, COLUMNS.referent);
    if (referent) {
      referentId = l.referents.get(referent) ?? null;
      if (!referentId) problems.push(`unknown référent "${referent}"`);
    }
    // What to do with the person: convoke to a session, invite to choose, or nothing.
    const modeText = normaliseHeader(cell(row, COLUMNS.mode) ?? '');
    let mode: ParticipationMode | undefined = options.mode;
    if (modeText) {
      if (/^(convocation|convoque|convoquer|convoquee)$/.test(modeText)) mode = 'convocation';
      else if (/^(invitation|inviter|invite|invitee|choix)$/.test(modeText)) mode = 'invitation';
      else problems.push(`unknown mode "${cell(row, COLUMNS.mode)}" (convocation or invitation)`);
    } else if (
      !mode &&
      sessionColumns &&
      (cell(row, COLUMNS.session) || cell(row, COLUMNS.sessionDate))
    ) {
      // No mode said: a row naming a session is a convocation to it.
      mode = 'convocation';
    }
    let action: PersonRow['action'];
    if (mode === 'invitation') {
      const kind = kindOf(cell(row, COLUMNS.kind), options.kind ?? 'rio');
      if (!kind) problems.push(`unknown type "${cell(row, COLUMNS.kind)}"`);
      else if (kind === NOT_OFFERED) problems.push(INDIVIDUAL_NOT_INVITED);
      else action = { mode: 'invitation', kind };
    } else if (mode === 'convocation') {
      const sessionRef = cell(row, COLUMNS.session);
      if (sessionRef) action = { mode: 'convocation', sessionRef };
      else {
        const s = parseSessionRow(
          row,
          org,
          l,
          { date: COLUMNS.sessionDate, time: COLUMNS.sessionTime },
          problems,
        );
        if (s) action = { mode: 'convocation', sessionRef: s.externalRef, inline: s };
      }
    }
    if (problems.length || !ref || !first || !phone.ok) return undefined;
    return {
      line: row.line,
      ref,
      displayName: first.slice(0, 64),
      phone: phone.e164,
      email: emailText || null,
      birthYear,
      orientedAt,
      territoryId,
      language: lang || null,
      referentId,
      action,
    };
  }
}
