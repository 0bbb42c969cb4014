import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../../src/db/client.js';
import { healthRoutes } from '../../../src/http/routes/health.js';
import { createServer } from '../../../src/http/server.js';
import { createLogger } from '../../../src/logger.js';
import { createTestDatabase } from '../../support/db.js';

/** A TCP server on 127.0.0.1 that accepts connections and never says a word. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function readyz(db: Database): Promise<{ status: number; body: unknown; ms: number }> {
  const app = createServer(createLogger('silent'));
  healthRoutes(app, db.prisma);
  const started = Date.now();
  try {
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    return { status: response.statusCode, body: response.json(), ms: Date.now() - started };
  } finally {
    await app.close();
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('/readyz', () => {
  it('answers 503 within about 2 seconds when PostgreSQL accepts but never answers', {
    timeout: 15_000,
  }, async () => {
    const silent = await silentServer();
    cleanups.push(silent.close);
    const db = await openDatabase({
      databaseUrl: `postgresql://relais@127.0.0.1:${silent.port}/relais`,
      poolSize: 2,
    });
    cleanups.push(() => db.close());
    for (let i = 0; i < 2; i++) {
      // Twice: a check still waiting on the pool must not hold up the next one.
      const { status, body, ms } = await readyz(db);
      expect(status).toBe(503);
      expect(body).toMatchObject({ ready: false, database: 'unreachable' });
      expect(ms).toBeLessThan(3_500);
    }
  });

  it('answers 200 on a migrated database that answers', async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.destroy());
    const { status, body } = await readyz(db);
    expect(status).toBe(200);
    expect(body).toEqual({ ready: true, database: 'ok', pendingMigrations: [] });
  });
});
