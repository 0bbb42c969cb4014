// Offline migrations in the standard Prisma layout (prisma/migrations/<name>/migration.sql
// and the _prisma_migrations table), applied by the WebAssembly schema engine so that no
// native binary is needed; `prisma migrate deploy` sees the same history where it runs.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { compareCatalogs, describeCatalog, type Query } from './catalog.js';
import { emptyFilters, type MigrationList, openSchemaEngine } from './schema-engine.js';

export const prismaDir = new URL('../../prisma/', import.meta.url).pathname;
export const schemaPath = join(prismaDir, 'schema.prisma');
export const migrationsDir = join(prismaDir, 'migrations');

export function readSchema(path = schemaPath): { path: string; content: string } {
  return { path: 'schema.prisma', content: readFileSync(path, 'utf8') };
}

/** The migrations folder as the schema engine wants it, sorted by name like Prisma does. */
export function readMigrationsList(dir = migrationsDir): MigrationList {
  const lockPath = join(dir, 'migration_lock.toml');
  const names = existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
  return {
    baseDir: dir,
    lockfile: {
      path: 'migration_lock.toml',
      content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null,
    },
    migrationDirectories: names.map((name) => {
      const file = join(dir, name, 'migration.sql');
      return {
        path: name,
        migrationFile: {
          path: 'migration.sql',
          content: existsSync(file)
            ? { tag: 'ok' as const, value: readFileSync(file, 'utf8') }
            : { tag: 'error' as const, value: `${relative(process.cwd(), file)} is missing` },
        },
      };
    }),
    shadowDbInitScript: '',
  };
}

/** Applies what is missing; returns the names of the migrations it applied. */
export async function applyMigrations(
  factory: SqlMigrationAwareDriverAdapterFactory,
  dir = migrationsDir,
): Promise<string[]> {
  const { engine, close } = await openSchemaEngine(factory, readSchema());
  try {
    const out = await engine.applyMigrations({
      migrationsList: readMigrationsList(dir),
      filters: emptyFilters,
    });
    return out.appliedMigrationNames;
  } finally {
    await close();
  }
}

/**
 * SQL that takes the database described by the migrations to the schema in
 * schema.prisma, computed against a throwaway in-memory PGlite used as shadow database.
 * Empty when the migrations already match the schema (no drift).
 */
export async function diffMigrationsToSchema(
  dir = migrationsDir,
  schema = readSchema(),
): Promise<string> {
  const shadow = new PGlite();
  const { engine, close } = await openSchemaEngine(new PrismaPGlite(shadow), schema);
  try {
    const list = readMigrationsList(dir);
    const out = await engine.diff({
      from: list.migrationDirectories.length ? { tag: 'migrations', ...list } : { tag: 'empty' },
      to: { tag: 'schemaDatamodel', files: [schema] },
      script: true,
      exitCode: null,
      filters: emptyFilters,
    });
    return meaningfulSql(out.stdout ?? '');
  } finally {
    await close();
    await shadow.close();
  }
}

/**
 * Differences between a live database and one created straight from schema.prisma,
 * as catalog lines ("- expected", "+ unexpected"); empty when there is no drift.
 */
export async function diffDatabaseCatalogToSchema(
  query: Query,
  schema = readSchema(),
): Promise<string[]> {
  const reference = new PGlite();
  const { engine, close } = await openSchemaEngine(new PrismaPGlite(reference), schema);
  try {
    const out = await engine.diff({
      from: { tag: 'empty' },
      to: { tag: 'schemaDatamodel', files: [schema] },
      script: true,
      exitCode: null,
      filters: emptyFilters,
    });
    await reference.exec(out.stdout ?? '');
    const expected = await describeCatalog(
      async <T>(sql: string) => (await reference.query<T>(sql)).rows,
    );
    return compareCatalogs(expected, await describeCatalog(query));
  } finally {
    await close();
    await reference.close();
  }
}

// The engine answers an empty diff with a comment line; treat comments as nothing.
function meaningfulSql(sql: string): string {
  const statements = sql
    .split('\n')
    .filter((line) => line.trim() && !line.trim().startsWith('--'))
    .join('\n');
  return statements.trim() ? sql : '';
}

/** Writes prisma/migrations/<timestamp>_<name>/migration.sql; returns its folder or null. */
export async function createMigration(name: string, now = new Date()): Promise<string | null> {
  if (!/^[a-z0-9_]+$/.test(name)) {
    throw new Error(
      `migration name "${name}" must be lower case letters, digits and underscores (e.g. add_forums)`,
    );
  }
  const sql = await diffMigrationsToSchema();
  if (!sql) return null;
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const folder = join(migrationsDir, `${stamp}_${name}`);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'migration.sql'), sql);
  const lock = join(migrationsDir, 'migration_lock.toml');
  if (!existsSync(lock)) {
    writeFileSync(
      lock,
      '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n',
    );
  }
  return folder;
}
