// docs/openapi.yaml stays true: every /api route the server registers is described there,
// with its method, and nothing described is missing from the server.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Relais } from '../../../src/app.js';
import { openApiPath } from '../../../src/http/routes/openapi.js';
import { routesOf } from '../../../src/http/server.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { type FakeTelegramApi, startFakeTelegramApi } from '../../support/fakes/telegram-api.js';
import { startTestRelais } from '../../support/relais.js';

let db: TestDatabase;
let relais: Relais;
let fake: FakeTelegramApi;
const routes: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeTelegramApi();
  relais = await startTestRelais(db, {
    // Every optional channel on, so that its routes are registered too.
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_API_ROOT: fake.url,
    TELEGRAM_MODE: 'webhook',
    TELEGRAM_WEBHOOK_SECRET: 'webhook-secret-for-tests',
    PUBLIC_URL: 'https://relais.example.fr',
  });
  routes.push(...routesOf(relais.server));
}, 60_000);
afterAll(async () => {
  await relais?.stop();
  await fake?.close();
  await db?.destroy();
});

describe('OpenAPI description', () => {
  it('matches the /api routes of the server', () => {
    const doc = parse(readFileSync(openApiPath, 'utf8')) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    const served = routes.filter((r) => / \/api\//.test(r) && !r.startsWith('HEAD '));
    expect(served.length).toBeGreaterThan(3);
    expect([...new Set(served)].sort()).toEqual(
      documented.filter((d) => d.includes('/api/')).sort(),
    );
  });

  it('has no stray keys from an unquoted comma in a flow mapping', () => {
    // `{ description: Sessions, soonest first }` parses as a key "soonest first" with no
    // value: the description is cut and the document grows a meaningless entry.
    const doc = parse(readFileSync(openApiPath, 'utf8'));
    const stray: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (!node || typeof node !== 'object') return;
      for (const [key, value] of Object.entries(node)) {
        if (value === null) stray.push(`${path}/${key}`);
        walk(value, `${path}/${key}`);
      }
    };
    walk(doc, '');
    expect(stray).toEqual([]);
  });

  it('is served at /openapi.yaml', async () => {
    const res = await fetch(`${relais.url}/openapi.yaml`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('openapi: 3.1.0');
  });
});
