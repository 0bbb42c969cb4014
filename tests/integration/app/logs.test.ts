// Logs at info level never carry a phone number or a message text, whatever goes through.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relais } from '../../../src/app.js';
import { startRelais } from '../../../src/app.js';
import { createLogger } from '../../../src/logger.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { type GroupFixture, groupWithMembers } from '../../support/fixtures.js';
import { testConfig } from '../../support/relais.js';

const lines: string[] = [];
let db: TestDatabase;
let relais: Relais;
let group: GroupFixture;
const secretText = 'Mon numéro est le 06 12 34 56 78, rappelez-moi vers midi';

beforeAll(async () => {
  db = await createTestDatabase();
  group = await groupWithMembers(db.prisma, 2, { channel: 'sms' });
  const logger = createLogger('info', { write: (line: string) => lines.push(line) });
  relais = await startRelais(testConfig({ LOG_LEVEL: 'info' }), { db, logger });
});
afterAll(async () => {
  await relais?.stop();
  await db?.destroy();
});

describe('logs', () => {
  it('carry no phone number and no message text at info level', async () => {
    const member = group.members[0];
    if (!member) throw new Error('fixture');
    await relais.services.conversations.startRun({
      personId: member.personId,
      identityId: member.identityId,
      flowId: 'avis-libre',
      cause: 'test:logs',
    });
    for (const text of ['1', secretText, 'AIDE']) {
      await relais.services.conversations.handleInbound({
        channel: 'sms',
        address: member.address,
        text,
        providerMessageId: `logs-${text}`,
        receivedAt: new Date(),
      });
    }
    await relais.services.conversations.handleInbound({
      channel: 'sms',
      address: '+33639989999',
      text: secretText,
      providerMessageId: 'logs-stranger',
      receivedAt: new Date(),
    });
    await relais.services.dispatcher.drain();
    await fetch(`${relais.url}/chat/api/messages?identityId=${member.identityId}&secret=abc`);
    // Whatever a call site passes, personal fields are censored.
    relais.logger.info(
      { phone: '+33612345678', body: secretText, message: { text: secretText } },
      'test',
    );

    const all = lines.join('\n');
    expect(lines.length).toBeGreaterThan(3);
    expect(all).not.toContain(member.address);
    expect(all).not.toContain('+33639989999');
    expect(all).not.toContain('+33612345678');
    // A national number on its own, not ten digits inside a figure ("responseTime":23.0070919…).
    expect(all).not.toMatch(/(?<![\d.])0[67]( ?\d\d){4}(?!\d)/);
    expect(all).not.toContain('rappelez-moi');
    expect(all).not.toContain('secret=abc');
    expect(all).toContain('[redacted]');
  });
});
