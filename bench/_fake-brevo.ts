// The Brevo fake in a process of its own for the dispatch bench, so that the bench's CPU
// time counts Relais only. Prints its URL, then obeys lines on stdin: "cap <n>|off",
// "count", "reset".
import { createInterface } from 'node:readline';
import { startFakeBrevo } from '../tests/support/fakes/brevo.js';

const fake = await startFakeBrevo();
process.stdout.write(`${JSON.stringify({ url: fake.url, apiKey: fake.apiKey })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, arg] = line.trim().split(' ');
  if (cmd === 'cap') fake.setCap(arg === 'off' ? undefined : Number(arg));
  if (cmd === 'reset') fake.sent.length = 0;
  if (cmd === 'count') {
    const tags = new Set(fake.sent.map((s) => s.tag));
    process.stdout.write(
      `${JSON.stringify({ sent: fake.sent.length, unique: tags.size, rejected: fake.capRejected(), refused: fake.refused })}\n`,
    );
  }
}
await fake.close();
