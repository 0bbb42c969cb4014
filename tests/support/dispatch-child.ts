// A dispatcher process of its own (spawned by the exactly-once test and the bench): opens
// DATABASE_URL with its own pool, sends through Brevo at BREVO_API_URL, says "ready",
// works until the outbox has stayed empty for a while, then prints its report as JSON.

import type { ChannelSender } from '../../src/channels/channel.js';
import { defaultCapabilities } from '../../src/channels/channel.js';
import { brevoProvider } from '../../src/channels/sms/providers/brevo.js';
import { openDatabase } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { Dispatcher } from '../../src/messaging/dispatcher.js';

const env = process.env;
const db = await openDatabase({ databaseUrl: env.DATABASE_URL as string, poolSize: 4 });
const provider = brevoProvider({
  kind: 'brevo',
  name: 'brevo',
  apiKey: env.BREVO_API_KEY as string,
  apiUrl: env.BREVO_API_URL as string,
  sender: 'Relais',
  ratePerSecond: 0,
});
const sender: ChannelSender = {
  id: 'sms',
  capabilities: defaultCapabilities.sms,
  async send(m) {
    const r = await provider.send({
      messageId: m.id,
      to: m.address,
      text: m.text,
      encoding: 'GSM-7',
      parts: m.parts,
    });
    return r.ok ? { ...r, providerId: `brevo:${r.providerId}` } : r;
  },
};
const now = new Date(env.NOW as string);
const dispatcher = new Dispatcher({
  prisma: db.prisma,
  sql: db.sql,
  clock: () => now,
  logger: createLogger('silent'),
  senders: { sms: sender },
  instanceId: env.INSTANCE_ID,
  batchSize: 100,
  concurrency: 8,
});
process.stdout.write('ready\n');
let claimed = 0;
let sent = 0;
let idle = 0;
let worked = false;
const deadline = Date.now() + Number(env.TIMEOUT_MS ?? 120_000);
while (Date.now() < deadline) {
  const r = await dispatcher.runOnce();
  claimed += r.claimed;
  sent += r.sent;
  if (r.claimed > 0) {
    worked = true;
    idle = 0;
    continue;
  }
  if (worked && ++idle > 20) break;
  await new Promise((resolve) => setTimeout(resolve, 50));
}
process.stdout.write(`${JSON.stringify({ instance: env.INSTANCE_ID, claimed, sent })}\n`);
await db.close();
