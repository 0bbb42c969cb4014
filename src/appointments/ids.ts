// Ids made before the rows, so a batch can link invitations, participations and fires in
// a few multi-row inserts. UUID version 7 (time-ordered), like the schema's defaults.
import { v7 } from 'uuid';

/** A version 7 id for a row made at `now` (the uuid package's, as the outbox's). */
export function uuidv7(now = Date.now()): string {
  return v7({ msecs: now });
}

/**
 * Appends every item to the list: `list.push(...items)` passes each item as an argument,
 * and 100,000 participations' fires are more than a call takes (RangeError).
 */
export function pushAll<T>(list: T[], items: Iterable<T>): void {
  for (const item of items) list.push(item);
}

/** Splits a list into chunks for multi-row inserts. */
export function chunks<T>(items: T[], size = 1000): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
