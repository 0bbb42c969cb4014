// npm run db:migration -- <name>: writes the next migration from schema.prisma, offline.
import { relative } from 'node:path';
import { createMigration } from '../db/migrations.js';

const name = process.argv[2];
if (!name) {
  console.error('usage: npm run db:migration -- <name>   (e.g. add_forums)');
  process.exit(2);
}
try {
  const folder = await createMigration(name);
  console.log(
    folder
      ? `created ${relative(process.cwd(), folder)}/migration.sql`
      : 'schema.prisma already matches the migrations: nothing to create',
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
