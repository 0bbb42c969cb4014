// An organisation's appointment settings, kept in Organisation.settings.appointments and
// read through this schema: every field has a default, so an organisation with no
// settings gets the rdv-insertion cadence (invitation at import, J+3 relaunch at 11:00 if
// unanswered and the session still more than 2 days away, J-2 reminder at 10:00) and the
// Puy-de-Dôme targets (60 %, then 80 %, for people under 30).
import { z } from 'zod';
import type { Db } from '../db/types.js';
import type { AppointmentKind } from '../generated/prisma/client.js';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

export const APPOINTMENT_KINDS = [
  'rio',
  'workshop',
  'information',
  'individual',
  'forum',
  'other',
] as const satisfies readonly AppointmentKind[];

export const reminderPointSchema = z.object({
  name: z.string().min(1).max(40),
  /**
   * invitation: days after the invitation (0 and no time: at once);
   * appointment: days relative to the session's day (-2: two days before).
   */
  anchor: z.enum(['invitation', 'appointment']),
  days: z.int().min(-60).max(60),
  /** Local time of the day, "HH:MM"; none: the anchor's own time. */
  at: z.string().regex(HHMM, { error: 'a time of day, e.g. 10:00' }).optional(),
  /** Only when the person has not answered yet. */
  ifNoAnswer: z.boolean().default(false),
  /** Only when the session is still more than this many days away. */
  minDaysBefore: z.number().min(0).max(60).default(0),
});
export type ReminderPoint = z.infer<typeof reminderPointSchema>;

export const DEFAULT_POINTS: ReminderPoint[] = [
  { name: 'invitation', anchor: 'invitation', days: 0, ifNoAnswer: false, minDaysBefore: 0 },
  {
    name: 'relaunch',
    anchor: 'invitation',
    days: 3,
    at: '11:00',
    ifNoAnswer: true,
    minDaysBefore: 2,
  },
  {
    name: 'reminder',
    anchor: 'appointment',
    days: -2,
    at: '10:00',
    ifNoAnswer: false,
    minDaysBefore: 0,
  },
];

const targetSchema = z.object({
  name: z.string().min(1).max(40),
  /** Participation rate (present / invited) to reach, 0 to 1. */
  rate: z.number().min(0).max(1),
  /** Only for this age band; none: everybody. */
  ageBand: z.enum(['under_30', 'from_30']).optional(),
});
export type Target = z.infer<typeof targetSchema>;

export const DEFAULT_TARGETS: Target[] = [
  { name: '60 % des moins de 30 ans', rate: 0.6, ageBand: 'under_30' },
  { name: '80 % des moins de 30 ans', rate: 0.8, ageBand: 'under_30' },
];

const rightsStepSchema = z.object({
  days: z.int().min(0).max(90),
  at: z.string().regex(HHMM).optional(),
  text: z.enum(['rights', 'duties']),
});

export const appointmentSettingsSchema = z.object({
  /** Short sender name starting every message, e.g. "Département 79". */
  signature: z.string().min(1).max(30).optional(),
  /** Reminder points per kind; "default" for the kinds not listed. */
  policies: z
    .partialRecord(z.enum([...APPOINTMENT_KINDS, 'default']), z.array(reminderPointSchema).max(8))
    .default({}),
  targets: z.array(targetSchema).max(10).default(DEFAULT_TARGETS),
  /**
   * Invitations, reminders, moves and cancellations also go as an email copy (longer,
   * with the address) to people with a consented email address. Needs the email channel
   * (SMTP_URL or SMTP_HOST, see docs/email.md).
   */
  emailCopy: z.boolean().default(false),
  /** Sessions offered to choose from (A, B, C). */
  offer: z
    .object({
      count: z.int().min(1).max(3).default(3),
      /** A session starting sooner than this is not offered. */
      minLeadHours: z
        .number()
        .min(0)
        .max(24 * 30)
        .default(24),
      /** Nor one further away than this. */
      horizonDays: z.int().min(1).max(365).default(60),
    })
    .prefault({}),
  rights: z
    .object({
      deadlineDays: z.int().min(1).max(365).default(90),
      steps: z
        .array(rightsStepSchema)
        .min(1)
        .max(4)
        .default([
          { days: 0, text: 'rights' },
          { days: 2, at: '10:00', text: 'duties' },
        ]),
    })
    .prefault({}),
});
export type AppointmentSettings = z.infer<typeof appointmentSettingsSchema>;

/** Parses settings; problems are thrown with their paths (for the settings API). */
export function parseSettings(raw: unknown): AppointmentSettings {
  return appointmentSettingsSchema.parse(raw ?? {});
}

/** The settings in force: stored ones, or the defaults when they are missing or invalid. */
export function settingsFrom(orgSettings: unknown): AppointmentSettings {
  const raw = (orgSettings as { appointments?: unknown } | null)?.appointments;
  const parsed = appointmentSettingsSchema.safeParse(raw ?? {});
  return parsed.success ? parsed.data : appointmentSettingsSchema.parse({});
}

export function pointsFor(settings: AppointmentSettings, kind: AppointmentKind): ReminderPoint[] {
  return settings.policies[kind] ?? settings.policies.default ?? DEFAULT_POINTS;
}

export interface OrganisationContext {
  id: string;
  name: string;
  departementCode: string | null;
  timezone: string;
  smsAccents: 'keep' | 'transliterate';
  phoneRegion: string;
  settings: AppointmentSettings;
  /** What starts every message. */
  signature: string;
}

export async function organisationContext(db: Db, id: string): Promise<OrganisationContext> {
  const org = await db.organisation.findUniqueOrThrow({ where: { id } });
  const settings = settingsFrom(org.settings);
  return {
    id: org.id,
    name: org.name,
    departementCode: org.departementCode,
    timezone: org.timezone,
    smsAccents: org.smsAccents,
    phoneRegion: org.phoneRegion,
    settings,
    signature:
      settings.signature ??
      (org.departementCode ? `Département ${org.departementCode}` : org.name.slice(0, 30)),
  };
}
