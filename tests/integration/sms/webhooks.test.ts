// Who may call the SMS webhooks: the secret is checked before anything else (a wrong one is
// 401 whatever the body, content type or path), the allow-list sees the client behind a
// trusted reverse proxy (TRUST_PROXY), and the local-only pages stay local behind one.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type Relais, startRelais } from '../../../src/app.js';
import { ConfigError } from '../../../src/config.js';
import { createLogger } from '../../../src/logger.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { testConfig } from '../../support/relais.js';
import { hookUrl, WEBHOOK_SECRET } from '../../support/sms.js';

let db: TestDatabase | undefined;
let relais: Relais | undefined;
const logLines: string[] = [];

async function start(overrides: Record<string, string> = {}) {
  db = await createTestDatabase();
  logLines.length = 0;
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const config = testConfig({
    BREVO_API_KEY: 'xkeysib-test-0123456789',
    BREVO_API_URL: 'http://127.0.0.1:9/v3',
    SMS_WEBHOOK_SECRET: WEBHOOK_SECRET,
    PUBLIC_URL: 'http://127.0.0.1:9',
    LOG_LEVEL: 'info',
    ...overrides,
  });
  relais = await startRelais(config, { db, logger: createLogger('info', sink) });
  return relais;
}

afterEach(async () => {
  await relais?.stop();
  await db?.destroy();
  relais = undefined;
  db = undefined;
});

const event = { to: '33612345000', msg_status: 'delivered', messageId: 77, tag: 'x' };

describe('SMS webhook authentication', () => {
  it('answers 401 to a wrong secret before reading the body, the content type or the path', async () => {
    const r = await start();
    const wrong = 'wrong-secret-wrong-secret-wrong';
    const calls: [string, RequestInit][] = [
      [
        hookUrl(r, 'brevo', 'events', wrong),
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"reply": "SECRET-BODY-TEXT", broken',
        },
      ],
      [
        hookUrl(r, 'brevo', 'events', wrong),
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-unknown' },
          body: 'SECRET-BODY-TEXT',
        },
      ],
      [`${hookUrl(r, 'brevo', 'events', wrong)}/deeper/still`, { method: 'POST' }],
      [`${r.url}/sms/brevo`, { method: 'GET' }],
      [`${r.url}/sms/nobody/${wrong}/events`, { method: 'PUT', body: 'SECRET-BODY-TEXT' }],
    ];
    for (const [url, init] of calls) {
      const res = await fetch(url, init);
      expect(res.status, `${init.method} ${url.replace(r.url, '')}`).toBe(401);
      expect(await res.json()).toEqual({ error: 'unauthorised' });
    }
    const refused = logLines.filter((l) => l.includes('sms webhook refused'));
    expect(refused).toHaveLength(calls.length);
    const all = logLines.join('');
    expect(all).not.toContain('SECRET-BODY-TEXT');
    expect(all).not.toContain(wrong);
    expect(await db?.prisma.deliveryReceipt.count()).toBe(0);
  });

  it('lets the right secret through to the usual answers (200, 400 for broken JSON, 404)', async () => {
    const r = await start();
    const url = hookUrl(r, 'brevo', 'events');
    const ok = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
    });
    expect(ok.status).toBe(200);
    expect(await db?.prisma.deliveryReceipt.count()).toBe(1);
    const broken = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{broken',
    });
    expect(broken.status).toBe(400);
    expect((await fetch(`${url}/deeper`)).status).toBe(404);
    // The local SMS page's API is not a webhook.
    expect((await fetch(`${r.url}/sms/api/messages`)).status).toBe(200);
  });

  it('checks the allow-list against the client a trusted proxy names (TRUST_PROXY)', async () => {
    const r = await start({
      SMS_WEBHOOK_ALLOW_IPS: '203.0.113.0/24',
      TRUST_PROXY: '127.0.0.1',
    });
    const post = (forwardedFor?: string) =>
      fetch(hookUrl(r, 'brevo', 'events'), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
        },
        body: JSON.stringify(event),
      });
    expect((await post('203.0.113.7')).status).toBe(200);
    expect((await post('198.51.100.1')).status).toBe(401);
    // A forged first hop does not help: the proxy appends the real client.
    expect((await post('203.0.113.7, 198.51.100.1')).status).toBe(401);
    expect((await post()).status).toBe(401);
    expect(logLines.some((l) => l.includes('"ip":"198.51.100.1"'))).toBe(true);
  });

  it('without TRUST_PROXY, X-Forwarded-For is not believed', async () => {
    const r = await start({ SMS_WEBHOOK_ALLOW_IPS: '203.0.113.0/24' });
    const res = await fetch(hookUrl(r, 'brevo', 'events'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7' },
      body: JSON.stringify(event),
    });
    expect(res.status).toBe(401);
  });
});

describe('local-only pages behind a reverse proxy', () => {
  it('with TRUST_PROXY, the web chat and the SMS page see the real client', async () => {
    const r = await start({ TRUST_PROXY: '127.0.0.1' });
    for (const path of ['/chat', '/sms']) {
      expect((await fetch(`${r.url}${path}`)).status).toBe(200);
      expect(
        (await fetch(`${r.url}${path}`, { headers: { 'x-forwarded-for': '203.0.113.7' } })).status,
      ).toBe(403);
      // A browser on this machine going through the local proxy is still local.
      expect(
        (await fetch(`${r.url}${path}`, { headers: { 'x-forwarded-for': '127.0.0.1' } })).status,
      ).toBe(200);
    }
  });

  it('without TRUST_PROXY, a forwarded request is not taken for a local one', async () => {
    const r = await start();
    for (const path of ['/chat', '/sms']) {
      expect((await fetch(`${r.url}${path}`)).status).toBe(200);
      const forwarded: Record<string, string>[] = [
        { 'x-forwarded-for': '203.0.113.7' },
        { forwarded: 'for=1.2.3.4' },
      ];
      for (const headers of forwarded) {
        expect((await fetch(`${r.url}${path}`, { headers })).status).toBe(403);
      }
    }
  });
});

describe('TRUST_PROXY', () => {
  it('takes addresses, CIDR blocks and proxy-addr names, false by default, and names a bad value', () => {
    expect(testConfig().TRUST_PROXY).toBe(false);
    expect(testConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false);
    expect(testConfig({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,loopback' }).TRUST_PROXY).toEqual([
      '127.0.0.1',
      '10.0.0.0/8',
      'loopback',
    ]);
    for (const bad of ['true', '1', '10.0.0.0/33', 'proxy.example.fr']) {
      expect(() => testConfig({ TRUST_PROXY: bad }), bad).toThrow(ConfigError);
      try {
        testConfig({ TRUST_PROXY: bad });
      } catch (e) {
        expect((e as Error).message).toMatch(/TRUST_PROXY: expected false, or the addresses/);
      }
    }
  });
});
