// What /readyz reports: the database answers, and every migration in prisma/migrations
// is recorded as finished in _prisma_migrations.
import type { PrismaClient } from '../generated/prisma/client.js';
import { migrationsDir, readMigrationsList } from './migrations.js';

export interface Readiness {
  ready: boolean;
  database: 'ok' | 'unreachable';
  pendingMigrations: string[];
  error?: string;
}

/** A load balancer or orchestrator wants an answer now: no answer in time is not ready. */
export const READINESS_TIMEOUT_MS = 2_000;

export async function checkReadiness(
  prisma: PrismaClient,
  dir = migrationsDir,
  timeoutMs = READINESS_TIMEOUT_MS,
): Promise<Readiness> {
  const expected = readMigrationsList(dir).migrationDirectories.map((d) => d.path);
  const unreachable = (error: string): Readiness => ({
    ready: false,
    database: 'unreachable',
    pendingMigrations: expected,
    error,
  });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Readiness>((resolve) => {
    timer = setTimeout(
      () => resolve(unreachable(`no answer from the database within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    // The queries left waiting fail on their own with the pool's connection timeout.
    return await Promise.race([check(prisma, expected, unreachable), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function check(
  prisma: PrismaClient,
  expected: string[],
  unreachable: (error: string) => Readiness,
): Promise<Readiness> {
  try {
    await prisma.$queryRawUnsafe('SELECT 1');
  } catch (error) {
    return unreachable(error instanceof Error ? error.message : String(error));
  }
  let applied: string[] = [];
  try {
    const rows = await prisma.$queryRawUnsafe<{ migration_name: string }[]>(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    applied = rows.map((r) => r.migration_name);
  } catch {
    // No bookkeeping table yet: nothing is applied.
  }
  const pendingMigrations = expected.filter((name) => !applied.includes(name));
  return { ready: pendingMigrations.length === 0, database: 'ok', pendingMigrations };
}
