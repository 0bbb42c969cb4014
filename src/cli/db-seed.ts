// npm run db:seed: loads the demo départements (idempotent).
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { seed } from '../seed/seed.js';
import { runCli } from './run.js';

await runCli(async () => {
  const config = loadConfig();
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  try {
    await db.migrate();
    // Under the start-up lock, so that an instance starting now does not seed too.
    await db.exclusive(() => seed(db.prisma));
    const [organisations, people] = await Promise.all([
      db.prisma.organisation.count(),
      db.prisma.person.count(),
    ]);
    console.log(
      `${db.location}: demo data in place (${organisations} organisations, ${people} people)`,
    );
  } finally {
    await db.close();
  }
});
