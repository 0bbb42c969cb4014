// npm run api:token -- <organisation-slug> [name]: creates a bearer token for the HTTP
// API of one organisation and prints it once (only its hash is kept).
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { createApiToken } from '../http/auth.js';
import { runCli } from './run.js';

await runCli(async () => {
  const [slug, name = 'api'] = process.argv.slice(2);
  if (!slug)
    throw new Error('usage: npm run api:token -- <organisation-slug> [name]   (e.g. deux-sevres)');
  const config = loadConfig();
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  try {
    await db.migrate();
    const org = await db.prisma.organisation.findUnique({ where: { slug } });
    if (!org) {
      const known = (await db.prisma.organisation.findMany({ select: { slug: true } })).map(
        (o) => o.slug,
      );
      throw new Error(
        `no organisation "${slug}"; known: ${known.join(', ') || 'none (run npm run db:seed)'}`,
      );
    }
    const token = await createApiToken(db.prisma, org.id, name);
    console.log(token);
  } finally {
    await db.close();
  }
});
