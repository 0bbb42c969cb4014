// An organisation's participation settings, kept in Organisation.settings.participation.
// Every field has a default: with no settings, people recorded present at a RIO are asked
// for their avis on the welcome (flows/avis-guichet.yaml), anonymously.
import { z } from 'zod';
import type { Db } from '../db/types.js';

export const participationSettingsSchema = z.object({
  avisAfterRio: z
    .object({
      /** Ask people recorded present at a RIO for their avis on the welcome. */
      enabled: z.boolean().default(true),
      /** The flow sent; it must exist in flows/. */
      flow: z
        .string()
        .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { error: 'a flow id, e.g. avis-guichet' })
        .default('avis-guichet'),
      /** Results of a question with fewer answers than this are not shown. */
      minAnswers: z.int().min(1).max(100).default(5),
    })
    .prefault({}),
});
export type ParticipationSettings = z.infer<typeof participationSettingsSchema>;

/** The settings in force: stored ones, or the defaults when missing or invalid. */
export function participationSettingsFrom(orgSettings: unknown): ParticipationSettings {
  const raw = (orgSettings as { participation?: unknown } | null)?.participation;
  const parsed = participationSettingsSchema.safeParse(raw ?? {});
  return parsed.success ? parsed.data : participationSettingsSchema.parse({});
}

export async function participationSettings(
  db: Db,
  organisationId: string,
): Promise<ParticipationSettings> {
  const org = await db.organisation.findUniqueOrThrow({
    where: { id: organisationId },
    select: { settings: true },
  });
  return participationSettingsFrom(org.settings);
}
