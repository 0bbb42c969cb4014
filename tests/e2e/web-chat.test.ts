// The local web chat as a person uses it: Debian's Chromium, driven by playwright-core,
// picks a demo person and a questionnaire, presses a button, types an answer.
import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relais } from '../../src/app.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { groupWithMembers } from '../support/fixtures.js';
import { startTestRelais } from '../support/relais.js';

const executablePath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) =>
  existsSync(p),
);

// CI installs Debian's chromium (.ci/run); a developer machine without it skips this file.
describe.skipIf(!executablePath)('web chat page in Chromium', () => {
  let db: TestDatabase;
  let relais: Relais;
  let browser: Browser;

  beforeAll(async () => {
    db = await createTestDatabase();
    relais = await startTestRelais(db, { DISPATCHER_ENABLED: 'true', DISPATCH_INTERVAL_MS: '50' });
    await groupWithMembers(db.prisma, 2);
    browser = await chromium.launch({
      executablePath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await relais?.stop();
    await db?.destroy();
  });

  it('goes through the start of a questionnaire with a button and a typed answer', async () => {
    const page = await browser.newPage();
    await page.goto(`${relais.url}/chat`);
    await page.selectOption('#person', { label: 'Personne 1 — Niortais (bénéficiaire)' });
    await page.selectOption('#flow', 'mobilite-forum');
    await page.click('#start');
    await page.getByText('Comment vous déplacez-vous ?').waitFor();
    await page.getByRole('button', { name: 'En voiture' }).click();
    await page.getByText("Qu'est-ce qui vous pose problème pour vous déplacer ?").waitFor();
    await page.fill('#text', '3 et 5');
    await page.click('form.send button');
    await page.getByText('Se déplacer, est-ce difficile pour vous ?').waitFor();
    const bubbles = await page.locator('#log .msg').allInnerTexts();
    // What the person pressed and typed shows on their side of the conversation.
    const mine = await page.locator('#log .msg.inbound').allInnerTexts();
    expect(mine).toEqual(['En voiture', '3 et 5']);
    expect(bubbles.length).toBeGreaterThan(4);
    mkdirSync('data/screenshots', { recursive: true });
    await page.screenshot({ path: 'data/screenshots/web-chat.png', fullPage: true });
    const results = await db.prisma.flowResult.findMany({ orderBy: { createdAt: 'asc' } });
    expect(results.map((r) => [r.name, r.value])).toEqual([
      ['mode', 'car'],
      ['barriers', 'fuel distance'],
    ]);
  });
});
