// Anonymous answers are filed under a key that does not name the person: an HMAC of the
// consultation and the person under a secret kept outside the database. The same person
// always gets the same key (so answers can be updated and drop-off followed), but reading
// the database alone does not tell whose answers they are.
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function responseKey(secret: string, consultationId: string, personId: string): string {
  return createHmac('sha256', secret).update(`${consultationId}:${personId}`).digest('base64url');
}

/**
 * The configured ANONYMITY_KEY, or (outside production) a key generated once and kept
 * in DATA_DIR, so that a local instance keeps matching answers across restarts.
 */
export function anonymityKey(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = join(dataDir, 'anonymity.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}
