// npm run telegram:link -- <organisation-slug> <person> [days]: makes the Telegram link a
// person opens to join (t.me/<bot>?start=<code>), valid `days` days (default 30) and once.
// <person> is their external reference (the id in the département's own system) or their
// Relais id. The code is printed once; only its hash is kept.
import { Api } from 'grammy';
import {
  createLinkCode,
  DEFAULT_LINK_DAYS,
  MAX_LINK_DAYS,
  telegramLink,
} from '../channels/telegram/link-codes.js';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { runCli } from './run.js';

const USAGE =
  'usage: npm run telegram:link -- <organisation-slug> <person-external-ref-or-id> [days]';

await runCli(async () => {
  const [slug, who, daysArg] = process.argv.slice(2);
  if (!slug || !who) throw new Error(USAGE);
  const days = daysArg === undefined ? DEFAULT_LINK_DAYS : Number(daysArg);
  if (!Number.isInteger(days) || days < 1 || days > MAX_LINK_DAYS) {
    throw new Error(`days: expected a whole number from 1 to ${MAX_LINK_DAYS}\n${USAGE}`);
  }
  const config = loadConfig();
  if (!config.TELEGRAM_BOT_TOKEN) {
    throw new Error('TELEGRAM_BOT_TOKEN is not set: the link names the bot (see .env.example)');
  }
  // The bot's @username, from Telegram itself.
  const api = new Api(config.TELEGRAM_BOT_TOKEN, {
    apiRoot: config.TELEGRAM_API_ROOT.replace(/\/+$/, ''),
  });
  const me = await api.getMe();
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  try {
    await db.migrate();
    const org = await db.prisma.organisation.findUnique({ where: { slug } });
    if (!org) throw new Error(`no organisation "${slug}"`);
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(who);
    const person = await db.prisma.person.findFirst({
      where: { organisationId: org.id, OR: [{ externalRef: who }, ...(uuid ? [{ id: who }] : [])] },
    });
    if (!person) throw new Error(`no person "${who}" in ${slug}`);
    const { code, expiresAt } = await createLinkCode(db.prisma, {
      organisationId: org.id,
      personId: person.id,
      validDays: days,
      now: new Date(),
    });
    console.log(telegramLink(me.username, code));
    console.error(`for ${person.displayName}, single use, valid until ${expiresAt.toISOString()}`);
  } finally {
    await db.close();
  }
});
