import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, usingPostgres } from '../../support/db.js';

const root = new URL('../../../', import.meta.url).pathname;

interface Child {
  pid: number;
  url: Promise<string>;
  output: () => string;
  /** Resolves once the output contains `text`. */
  waitFor: (text: string | RegExp) => Promise<void>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop: () => Promise<number | null>;
}

/** Runs `src/main.ts` as `npm start` does, and resolves its URL once it listens. */
function startProcess(env: Record<string, string>, script = 'src/main.ts'): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const watchers: (() => void)[] = [];
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const watch of watchers) watch();
      const match = /Relais is listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
  return {
    pid: child.pid as number,
    url,
    output: () => output,
    waitFor: (text) =>
      new Promise((resolve) => {
        const watch = () =>
          (typeof text === 'string' ? output.includes(text) : text.test(output)) && resolve();
        watchers.push(watch);
        watch();
      }),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.on('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

const TOKEN_LINE = /API token of the Deux-Sèvres demo \(shown once\): (rls_\S+)\n/;

/** The demo token a first start prints on a line of its own, after the listening line. */
async function demoToken(child: Child): Promise<string> {
  await child.waitFor(TOKEN_LINE);
  return TOKEN_LINE.exec(child.output())?.[1] as string;
}

// Each test starts Relais processes one after the other; on a loaded machine a start can
// take 20 seconds.
const PROCESS_TEST = { timeout: 180_000 };

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('npm start on the embedded database', () => {
  it(
    'comes up ready, stops on SIGTERM, and keeps its data across restarts',
    PROCESS_TEST,
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'relais-start-'));
      dirs.push(dataDir);
      const first = startProcess({ DATA_DIR: dataDir });
      const url = await first.url;
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ ready: true, database: 'ok', pendingMigrations: [] });
      expect(first.output()).toContain('"msg":"migrations applied"');
      // The first start loads the demo and shows a working API token, once, outside the logs.
      const token = await demoToken(first);
      expect(
        first
          .output()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .join('\n'),
      ).not.toContain(token);
      const list = await fetch(`${url}/api/consultations`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(list.status).toBe(200);
      expect(await first.stop()).toBe(0);
      expect(first.output()).toContain('"msg":"stopped"');

      const second = startProcess({ DATA_DIR: dataDir });
      const again = await second.url;
      expect((await fetch(`${again}/readyz`)).status).toBe(200);
      // The same folder: nothing left to migrate the second time.
      expect(second.output()).toContain('"msg":"database up to date"');
      expect(second.output()).not.toContain('API token');
      expect(await second.stop()).toBe(0);
    },
  );

  it('lets one process at a time open the data folder', PROCESS_TEST, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'relais-start-'));
    dirs.push(dataDir);
    const first = startProcess({ DATA_DIR: dataDir });
    await first.url;
    const inUse = `The embedded database ${join(dataDir, 'pglite')} is in use by process ${first.pid}. Stop that process`;
    // A second Relais and a command on the same folder are refused, naming the holder.
    const second = startProcess({ DATA_DIR: dataDir });
    await expect(second.url).rejects.toThrow(/exited with 1/);
    expect(second.output()).toContain(inUse);
    expect(second.output()).toContain('or set DATABASE_URL');
    const seed = startProcess({ DATA_DIR: dataDir }, 'src/cli/db-seed.ts');
    await expect(seed.url).rejects.toThrow(/exited with 1/);
    expect(seed.output()).toContain(inUse);
    // The first one was not disturbed, and once it stops the folder is free.
    const url = await first.url;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(await first.stop()).toBe(0);
    const third = startProcess({ DATA_DIR: dataDir });
    expect((await fetch(`${await third.url}/readyz`)).status).toBe(200);
    expect(await third.stop()).toBe(0);
  });

  it('finishes a request in flight when SIGTERM arrives, then exits 0', PROCESS_TEST, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'relais-start-'));
    dirs.push(dataDir);
    const relais = startProcess({ DATA_DIR: dataDir });
    const { port } = new URL(await relais.url);
    const token = await demoToken(relais);
    const body = JSON.stringify({
      group: 'usagers-departemental',
      flow: 'mobilite-forum',
      deadline: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    });
    // A slow client: the request and half its body now, the rest after SIGTERM.
    const socket = connect(Number(port), '127.0.0.1');
    let response = '';
    socket.on('data', (chunk) => {
      response += chunk.toString();
    });
    const ended = new Promise((resolve) => socket.on('close', resolve));
    const half = Math.floor(body.length / 2);
    socket.write(
      `POST /api/consultations HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body.slice(0, half)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const exit = relais.stop();
    await relais.waitFor('stopping: finishing in-flight work');
    // Shutdown has begun and waits for this request: the process is still there.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(relais.output()).not.toContain('"msg":"stopped"');
    socket.write(body.slice(half));
    await ended;
    expect(response).toMatch(/^HTTP\/1\.1 201 /);
    expect(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4))).toMatchObject({
      invited: expect.any(Number),
    });
    expect(await exit).toBe(0);
    expect(relais.output()).toContain('"msg":"stopped"');
  });

  it('refuses a bad configuration with every problem named', async () => {
    const child = startProcess({ PORT: 'x', LOG_LEVEL: 'loud' });
    await expect(child.url).rejects.toThrow(/exited with 1/);
    expect(child.output()).toContain('PORT: expected a port number');
    expect(child.output()).toContain('LOG_LEVEL: expected one of');
  });
});

// Locking between instances needs a real server: PGlite serves one process only.
describe.skipIf(!usingPostgres)('two instances on one PostgreSQL', () => {
  it(
    'both come up, the migrations run once and the demo is loaded once',
    PROCESS_TEST,
    async () => {
      const db = await createTestDatabase({ migrated: false });
      try {
        const url = db.url as string;
        // Both asked to load the demo into the empty database: one does, the other finds
        // it loaded.
        const a = startProcess({ DATABASE_URL: url, DEMO_DATA: 'true' });
        const b = startProcess({ DATABASE_URL: url, DEMO_DATA: 'true' });
        const [urlA, urlB] = await Promise.all([a.url, b.url]);
        expect((await fetch(`${urlA}/readyz`)).status).toBe(200);
        expect((await fetch(`${urlB}/readyz`)).status).toBe(200);
        const applied = [a.output(), b.output()].filter((o) =>
          o.includes('"msg":"migrations applied"'),
        );
        expect(applied).toHaveLength(1);
        const rows = await db.prisma.$queryRawUnsafe<{ migration_name: string; n: bigint }[]>(
          'SELECT migration_name, count(*) AS n FROM _prisma_migrations GROUP BY migration_name',
        );
        expect(rows.length).toBeGreaterThan(0);
        for (const row of rows) expect(Number(row.n)).toBe(1);
        const seeded = [a.output(), b.output()].filter((o) =>
          o.includes('"msg":"demo data loaded into the empty database"'),
        );
        expect(seeded).toHaveLength(1);
        expect(await db.prisma.organisation.count()).toBe(2);
        expect(await a.stop()).toBe(0);
        expect(await b.stop()).toBe(0);
      } finally {
        await db.destroy();
      }
    },
  );
});
