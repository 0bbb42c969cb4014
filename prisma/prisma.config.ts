// Configuration for the Prisma CLI where its native engine is available
// (`npx prisma migrate deploy --config prisma/prisma.config.ts`). Relais itself migrates
// offline with the WebAssembly engine (src/db/migrations.ts) and does not need this file.
import { defineConfig, env } from 'prisma/config';

export default defineConfig({
  schema: 'schema.prisma',
  migrations: { path: 'migrations' },
  datasource: { url: env('DATABASE_URL') },
});
