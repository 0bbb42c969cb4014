// npm run db:migrate: applies pending migrations to DATABASE_URL or the embedded database.
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { runCli } from './run.js';

await runCli(async () => {
  const config = loadConfig();
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  try {
    const applied = await db.migrate();
    console.log(
      applied.length
        ? `${db.location}: applied ${applied.join(', ')}`
        : `${db.location}: already up to date`,
    );
  } finally {
    await db.close();
  }
});
