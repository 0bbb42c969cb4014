// The default "log" provider (nothing leaves the machine, the /sms page shows it), the SMS
// preview of the API ("2 SMS"), and the start-up check of organisations' providers.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Relais } from '../../../src/app.js';
import { ConfigError } from '../../../src/config.js';
import { createApiToken } from '../../../src/http/auth.js';
import { type TestClock, testClock } from '../../support/clock.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { startTestRelais } from '../../support/relais.js';
import {
  hookUrl,
  queueSms,
  type SmsFixture,
  smsOrganisation,
  WEBHOOK_SECRET,
  WEEKDAY_MORNING,
} from '../../support/sms.js';

let db: TestDatabase;
let relais: Relais | undefined;
let clock: TestClock;
let fx: SmsFixture;

beforeEach(async () => {
  db = await createTestDatabase();
  clock = testClock(WEEKDAY_MORNING);
  fx = await smsOrganisation(db.prisma, { provider: 'log', people: 1 });
});
afterEach(async () => {
  await relais?.stop();
  relais = undefined;
  await db.destroy();
});

describe('the log provider', () => {
  it('marks messages sent as log:<id> and shows them, with their cost, on the local page', async () => {
    relais = await startTestRelais(db, {}, { clock });
    const id = await queueSms(db.prisma, fx, {
      key: 'l1',
      text: 'Votre rendez-vous est confirmé pour jeudi 12 mars à 14h, à la Maison des solidarités de Niort. Pensez à apporter votre pièce d’identité et votre attestation CAF. À bientôt !',
      now: clock(),
    });
    await relais.services.dispatcher.runOnce();
    const row = await db.prisma.message.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({
      status: 'sent',
      providerId: `log:${id}`,
      parts: 2,
      encoding: 'GSM-7',
    });
    // Transliterated under the default policy: the typographic apostrophe, À and ô are gone.
    expect(row.body).toContain("pièce d'identité");
    expect(row.body).toContain('A bientot !');

    const page = await fetch(`${relais.url}/sms`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('fournisseur « log »');
    const list = (await (await fetch(`${relais.url}/sms/api/messages`)).json()) as {
      id: string;
      parts: number;
      status: string;
    }[];
    expect(list.find((m) => m.id === id)).toMatchObject({ parts: 2, status: 'sent' });

    // Answering as the person, from the page.
    const res = await fetch(`${relais.url}/sms/api/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: fx.people[0]?.address, text: 'INFO' }),
    });
    expect(await res.json()).toEqual({ outcome: 'help' });
  });

  it('previews a text as this organisation sends it: "2 SMS"', async () => {
    relais = await startTestRelais(db, {}, { clock });
    const token = await createApiToken(db.prisma, fx.organisationId, 'test');
    const preview = (text: string) =>
      fetch(`${relais?.url}/api/sms/preview`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      }).then((r) => r.json());
    const text = `Ça commence à ${'la Maison des solidarités, '.repeat(5)}d’accord ?`;
    expect(await preview(text)).toMatchObject({
      encoding: 'GSM-7',
      parts: 1,
      label: '1 SMS',
      accents: 'transliterate',
    });
    await db.prisma.organisation.update({
      where: { id: fx.organisationId },
      data: { smsAccents: 'keep' },
    });
    expect(await preview(text)).toMatchObject({ encoding: 'UCS-2', parts: 3, label: '3 SMS' });
    const noToken = await fetch(`${relais.url}/api/sms/preview`, { method: 'POST' });
    expect(noToken.status).toBe(401);
  });

  it('takes webhooks only from the allowed addresses when a list is set', async () => {
    const env = {
      BREVO_API_KEY: 'xkeysib-test-0123456789',
      BREVO_API_URL: 'http://127.0.0.1:9/v3',
      SMS_WEBHOOK_SECRET: WEBHOOK_SECRET,
      PUBLIC_URL: 'http://127.0.0.1:9',
    };
    const post = (r: Relais) =>
      fetch(hookUrl(r, 'brevo', 'events'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messageId: 1, msg_status: 'delivered', to: '33612345000' }),
      }).then((res) => res.status);
    relais = await startTestRelais(
      db,
      { ...env, SMS_WEBHOOK_ALLOW_IPS: '10.0.0.0/8, 192.0.2.1' },
      { clock },
    );
    expect(await post(relais)).toBe(401);
    await relais.stop();
    relais = await startTestRelais(
      db,
      { ...env, SMS_WEBHOOK_ALLOW_IPS: '127.0.0.0/8,::1' },
      { clock },
    );
    expect(await post(relais)).toBe(200);
  });

  it('refuses to start when an organisation chose a provider whose secrets are missing', async () => {
    await db.prisma.organisation.update({
      where: { id: fx.organisationId },
      data: { smsProvider: 'brevo:cd974' },
    });
    const started = startTestRelais(db, {}, { clock });
    await expect(started).rejects.toBeInstanceOf(ConfigError);
    await expect(started).rejects.toThrow(/smsProvider "brevo:cd974" has no account/);
  });
});
