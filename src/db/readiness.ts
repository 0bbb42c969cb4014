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

export async function checkReadiness(
  prisma: PrismaClient,
  dir = migrationsDir,
): Promise<Readiness> {
  const expected = readMigrationsList(dir).migrationDirectories.map((d) => d.path);
  try {
    await prisma.$queryRawUnsafe('SELECT 1');
  } catch (error) {
    return {
      ready: false,
      database: 'unreachable',
      pendingMigrations: expected,
      error: error instanceof Error ? error.message : String(error),
    };
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
