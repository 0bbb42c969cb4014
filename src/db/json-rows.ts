// Rows read as JSON (to_jsonb) by the few raw queries that fetch several tables in one
// statement, turned back into what Prisma would have returned: its DateTime columns are
// UTC wall-clock timestamps, which JSON gives as text without a zone.
import type { ChannelIdentity, FlowRun, Person, Territory } from '../generated/prisma/client.js';

/** The DateTime fields of the models read this way (a test checks them against the schema). */
export const DATE_FIELDS = {
  ChannelIdentity: ['consentAt', 'optedOutAt', 'unreachableAt', 'createdAt', 'updatedAt'],
  Person: ['orientedAt', 'createdAt', 'updatedAt'],
  Territory: ['createdAt', 'updatedAt'],
  FlowRun: ['startedAt', 'updatedAt', 'endedAt', 'expiresAt'],
} as const;

type Models = {
  ChannelIdentity: ChannelIdentity;
  Person: Person;
  Territory: Territory;
  FlowRun: FlowRun;
};

/** A to_jsonb row of `model` as its Prisma type. */
export function fromJsonRow<M extends keyof Models>(model: M, row: unknown): Models[M] {
  const out = { ...(row as Record<string, unknown>) };
  for (const field of DATE_FIELDS[model]) {
    const value = out[field];
    if (typeof value === 'string') out[field] = new Date(`${value}Z`);
  }
  return out as Models[M];
}
