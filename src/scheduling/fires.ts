// Every time-based behaviour is a row: reminders, wait timeouts, expiries, deadlines.
// The tick only finds due rows; the database holds the truth, so a restart loses nothing
// and a second instance duplicates nothing (claims use FOR UPDATE SKIP LOCKED). A fire
// carries the version of its subject when planned; handlers compare it with the current
// one, so a moved appointment or an answered question makes older fires no-ops.
import { hostname } from 'node:os';
import type { Clock } from '../clock.js';
import type { Db } from '../db/types.js';
import type { PrismaClient, ScheduledFire } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';

export interface FireRequest {
  organisationId?: string | null;
  kind: string;
  dueAt: Date;
  subjectType: string;
  subjectId: string;
  subjectVersion?: number;
  payload?: Record<string, unknown>;
  /** Planning the same key twice creates one fire. */
  dedupeKey?: string;
}

export async function scheduleFire(db: Db, req: FireRequest): Promise<void> {
  await db.scheduledFire.createMany({
    data: [
      {
        organisationId: req.organisationId ?? null,
        kind: req.kind,
        dueAt: req.dueAt,
        subjectType: req.subjectType,
        subjectId: req.subjectId,
        subjectVersion: req.subjectVersion ?? 0,
        payload: (req.payload ?? {}) as object,
        dedupeKey: req.dedupeKey ?? null,
      },
    ],
    skipDuplicates: true,
  });
}

/** Marks pending fires of a subject as skipped (all kinds, or the ones named). */
export async function cancelFires(
  db: Db,
  subject: { subjectType: string; subjectId: string; kinds?: string[] },
): Promise<number> {
  const { count } = await db.scheduledFire.updateMany({
    where: {
      subjectType: subject.subjectType,
      subjectId: subject.subjectId,
      status: 'pending',
      ...(subject.kinds ? { kind: { in: subject.kinds } } : {}),
    },
    data: { status: 'skipped' },
  });
  return count;
}

/** What a handler did: its work, or nothing because the fire was stale. */
export type FireOutcome = 'done' | 'skipped';
export type FireHandler = (fire: ScheduledFire, now: Date) => Promise<FireOutcome>;

export interface FireRunnerOptions {
  prisma: PrismaClient;
  clock: Clock;
  logger: Logger;
  instanceId?: string;
  batchSize?: number;
  maxAttempts?: number;
  /** A fire left running longer than this (a crash) is run again; handlers are idempotent. */
  staleClaimMs?: number;
}

export class FireRunner {
  private readonly handlers = new Map<string, FireHandler>();
  private readonly instanceId: string;

  constructor(private readonly options: FireRunnerOptions) {
    this.instanceId = options.instanceId ?? `${hostname()}:${process.pid}`;
  }

  on(kind: string, handler: FireHandler): this {
    if (this.handlers.has(kind)) throw new Error(`a handler for fire kind ${kind} exists already`);
    this.handlers.set(kind, handler);
    return this;
  }

  /** Runs every fire due at `now` (or the clock's now), batch after batch. */
  async runDue(
    now: Date = this.options.clock(),
  ): Promise<{ done: number; skipped: number; failed: number }> {
    const totals = { done: 0, skipped: 0, failed: 0 };
    await this.releaseStale(now);
    for (;;) {
      const fires = await this.claim(now);
      if (!fires.length) return totals;
      for (const fire of fires) totals[await this.runOne(fire, now)] += 1;
    }
  }

  private async claim(now: Date): Promise<ScheduledFire[]> {
    const limit = this.options.batchSize ?? 100;
    const rows = await this.options.prisma.$queryRaw<{ id: string }[]>`
      UPDATE "ScheduledFire" SET status = 'running', "claimedAt" = ${now},
             "claimedBy" = ${this.instanceId}, attempts = attempts + 1
       WHERE id IN (
         SELECT id FROM "ScheduledFire"
          WHERE status = 'pending' AND "dueAt" <= ${now}
          ORDER BY "dueAt", id
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
      RETURNING id`;
    if (!rows.length) return [];
    return this.options.prisma.scheduledFire.findMany({
      where: { id: { in: rows.map((r) => r.id) } },
      orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
    });
  }

  private async releaseStale(now: Date): Promise<void> {
    const before = new Date(now.getTime() - (this.options.staleClaimMs ?? 10 * 60_000));
    await this.options.prisma.scheduledFire.updateMany({
      where: { status: 'running', claimedAt: { lt: before } },
      data: { status: 'pending', claimedBy: null },
    });
  }

  private async runOne(fire: ScheduledFire, now: Date): Promise<'done' | 'skipped' | 'failed'> {
    const { prisma, logger } = this.options;
    const handler = this.handlers.get(fire.kind);
    if (!handler) {
      await prisma.scheduledFire.update({
        where: { id: fire.id },
        data: { status: 'failed', lastError: `no handler for fire kind ${fire.kind}`, doneAt: now },
      });
      logger.error({ fireId: fire.id, kind: fire.kind }, 'no handler for fire kind');
      return 'failed';
    }
    try {
      const outcome = await handler(fire, now);
      await prisma.scheduledFire.update({
        where: { id: fire.id },
        data: { status: outcome, doneAt: now, lastError: null },
      });
      return outcome === 'done' ? 'done' : 'skipped';
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const final = fire.attempts >= (this.options.maxAttempts ?? 5);
      // Retry later with a growing delay; the handler may depend on something that is back.
      await prisma.scheduledFire.update({
        where: { id: fire.id },
        data: final
          ? { status: 'failed', lastError: message, doneAt: now }
          : {
              status: 'pending',
              lastError: message,
              dueAt: new Date(now.getTime() + 60_000 * 2 ** (fire.attempts - 1)),
            },
      });
      logger.error({ fireId: fire.id, kind: fire.kind, err: error, final }, 'fire failed');
      return 'failed';
    }
  }
}
