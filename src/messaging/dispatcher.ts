// The dispatcher: claims due outbound messages, holds back what must wait (quiet hours,
// contact pressure), hands the rest to their channel through a rate-limited lane per
// provider account, and records what happened. Shared by every channel.
//
// What it guarantees:
// - Several instances share the work: claims use FOR UPDATE SKIP LOCKED, so a message is
//   claimed by one of them at a time.
// - A message is a row before it is a network call; the provider's acceptance (its id) is
//   recorded the moment it answers, one row at a time.
// - A crash between claim and record leaves the row 'sending'. Once stale, the channel is
//   asked whether the provider took it (a stored receipt naming our reference, or the
//   provider's own log of our reference). Taken: it is marked sent, never sent again. Not
//   taken: it goes back to the queue. Cannot tell yet: it waits for a receipt up to the
//   receipt window, then goes back to the queue (a rare duplicate is preferred to a lost
//   reminder).
// - Transient failures retry with exponential backoff; permanent ones are final; a
//   message whose moment has passed (notAfter) fails as too_late instead of going out.
// - Quiet hours and contact pressure defer: notBefore moves, deferrals counts, nothing
//   is lost. Urgent messages and fresh answers to what a person just wrote do not wait.
import { hostname } from 'node:os';
import type { Worker } from '../app.js';
import type {
  ChannelSender,
  OutboundMessage,
  ReconcileResult,
  SendLane,
  SendResult,
} from '../channels/channel.js';
import type { Clock } from '../clock.js';
import type { SqlRunner } from '../db/direct.js';
import {
  type PastContact,
  PRIORITY,
  pressureDecision,
  underPressureLimit,
} from '../domain/contact-pressure.js';
import { privateFirstLine } from '../domain/lock-screen.js';
import { nextAllowedTime, type QuietHoursPolicy } from '../domain/quiet-hours.js';
import type {
  ChannelKind,
  Message,
  MessagePurpose,
  PrismaClient,
} from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import { enqueue, type OutboxPayload, REDACTED_PAYLOAD, redactsOnSent } from './outbox.js';
import { RateLimiter } from './rate-limit.js';

export interface DispatcherOptions {
  prisma: PrismaClient;
  /** The statement recording sends, below Prisma (db/direct.ts). */
  sql: SqlRunner;
  senders: Partial<Record<ChannelKind, ChannelSender>>;
  clock: Clock;
  logger: Logger;
  instanceId?: string;
  /** Messages claimed per turn (default 200). */
  batchSize?: number;
  /** Sends in flight at once per lane (default 16). */
  concurrency?: number;
  /** Attempts before a transient failure becomes final. */
  maxAttempts?: number;
  /** First retry delay; doubles at each attempt. */
  retryBaseMs?: number;
  /** A message left "sending" longer than this (a crash) is reconciled. */
  staleClaimMs?: number;
  /** How long a stale message whose fate is unknown waits for a receipt. */
  receiptWindowMs?: number;
  /** A turn's messages not started within this time go back to the queue. */
  maxHoldMs?: number;
  /** Local sending window, e.g. "08:00-20:00"; false: no quiet hours. */
  quietHours?: string | false;
  /** An answer younger than this does not wait for quiet hours (default 1 h). */
  replyGraceMs?: number;
  /** Unsolicited contacts a person may get a week (default 3); 0 turns the limit off. */
  contactLimit?: number;
}

export interface DispatchReport {
  claimed: number;
  sent: number;
  failed: number;
  retried: number;
  deferred: number;
  released: number;
  reconciled: number;
}

type Outcome = 'sent' | 'failed' | 'retried' | 'deferred' | 'released';

interface OrgPolicy {
  timeZone: string;
  holidayRegion: string | null;
}

/** An outbound row claimed for sending ('sending', claimedBy this instance), with its address. */
export type ClaimedRow = Message & {
  identity: {
    address: string;
    optedOutAt: Date | null;
    unreachableAt: Date | null;
    consent: string;
  } | null;
};

const emptyReport = (): DispatchReport => ({
  claimed: 0,
  sent: 0,
  failed: 0,
  retried: 0,
  deferred: 0,
  released: 0,
  reconciled: 0,
});

function parseWindow(spec: string): { startMinute: number; endMinute: number } {
  const m = /^(\d\d):(\d\d)-(\d\d):(\d\d)$/.exec(spec);
  if (!m) throw new Error(`bad quiet hours window ${spec}`);
  return {
    startMinute: Number(m[1]) * 60 + Number(m[2]),
    endMinute: Number(m[3]) * 60 + Number(m[4]),
  };
}

/**
 * Records providers' acceptances: each is written within 50 ms, up to 100 rows per
 * statement (one UPDATE ... FROM VALUES), which is what makes thousands of sends a second
 * affordable on the embedded database. A crash before a flush is the same case as a crash
 * before a single-row update: the message stays 'sending' and is reconciled by its
 * reference, never blindly sent again.
 */
class SentRecorder {
  private pending: { id: string; providerId: string | null; parts: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly sql: SqlRunner,
    private readonly logger: Logger,
    private readonly maxRows = 100,
    private readonly maxDelayMs = 250,
  ) {}

  add(id: string, providerId: string | null, parts: number, sentAt: Date): void {
    this.pending.push({ id, providerId, parts });
    this.sentAt = sentAt;
    if (this.pending.length >= this.maxRows) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.maxDelayMs);
  }

  private sentAt = new Date(0);

  /** Writes what is pending; resolves when everything added so far is written. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.pending;
    const sentAt = this.sentAt;
    this.pending = [];
    if (rows.length) {
      this.flushing = this.flushing.then(() =>
        this.write(rows, sentAt).catch((error) =>
          // Left 'sending': the stale-claim pass reconciles them with the provider.
          this.logger.error({ err: error, count: rows.length }, 'could not record sent messages'),
        ),
      );
    }
    return this.flushing;
  }

  private async write(
    rows: { id: string; providerId: string | null; parts: number }[],
    sentAt: Date,
  ): Promise<void> {
    // A receipt may have come first and moved a row on: then only its provider id is kept.
    // The rows go as three arrays: one statement text whatever their number (prepared once).
    await this.sql.execute(
      `UPDATE "Message" AS m SET
        status = CASE WHEN m.status = 'sending' THEN 'sent'::"MessageStatus" ELSE m.status END,
        "providerId" = COALESCE(m."providerId", v.pid),
        parts = CASE WHEN m.status = 'sending' THEN v.parts ELSE m.parts END,
        "sentAt" = COALESCE(m."sentAt", $4::timestamp(3)),
        "failureKind" = CASE WHEN m.status = 'sending' THEN NULL ELSE m."failureKind" END,
        "failureReason" = CASE WHEN m.status = 'sending' THEN NULL ELSE m."failureReason" END,
        -- Anonymous questionnaires: once sent, the text that showed the answers goes.
        body = CASE WHEN m.payload->>'redact' = 'sent' THEN '' ELSE m.body END,
        payload = CASE WHEN m.payload->>'redact' = 'sent' THEN '{"redacted": true}'::jsonb ELSE m.payload END
      FROM unnest($1::uuid[], $2::text[], $3::int[]) AS v(id, pid, parts)
      WHERE m.id = v.id`,
      [rows.map((r) => r.id), rows.map((r) => r.providerId), rows.map((r) => r.parts), sentAt],
    );
  }
}

export class Dispatcher {
  readonly instanceId: string;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly staleClaimMs: number;
  private readonly receiptWindowMs: number;
  private readonly maxHoldMs: number;
  private readonly window: { startMinute: number; endMinute: number } | undefined;
  private readonly replyGraceMs: number;
  private readonly contactLimit: number;
  private readonly limiters = new Map<string, RateLimiter>();
  private readonly orgs = new Map<string, { policy: OrgPolicy; at: number }>();
  private lastStaleCheck = Number.NEGATIVE_INFINITY;
  /** Rows the next claim takes: the batch size, or less when every lane is rate limited. */
  private claimLimit: number;
  private readonly recorder: SentRecorder;

  constructor(private readonly options: DispatcherOptions) {
    this.instanceId = options.instanceId ?? `${hostname()}:${process.pid}`;
    this.batchSize = options.batchSize ?? 200;
    this.concurrency = options.concurrency ?? 16;
    this.maxAttempts = options.maxAttempts ?? 6;
    this.retryBaseMs = options.retryBaseMs ?? 30_000;
    this.staleClaimMs = options.staleClaimMs ?? 5 * 60_000;
    this.receiptWindowMs = options.receiptWindowMs ?? 30 * 60_000;
    this.maxHoldMs = options.maxHoldMs ?? 60_000;
    this.window =
      options.quietHours === false ? undefined : parseWindow(options.quietHours ?? '08:00-20:00');
    this.replyGraceMs = options.replyGraceMs ?? 3_600_000;
    this.contactLimit = options.contactLimit ?? 3;
    this.recorder = new SentRecorder(options.sql, options.logger);
    this.claimLimit = this.batchSize;
  }

  /**
   * Claims and handles one batch of due messages. Resolves once the sent ones are recorded
   * too, unless `recordLater` (the next turn need not wait for that write: its rows are
   * this instance's claims, and the recorder writes them within 250 ms, many together).
   */
  async runOnce(options: { recordLater?: boolean } = {}): Promise<DispatchReport> {
    const now = this.options.clock();
    const report = emptyReport();
    // Stale claims are looked at every 10 s of (possibly simulated) time.
    if (now.getTime() - this.lastStaleCheck >= 10_000) {
      this.lastStaleCheck = now.getTime();
      report.reconciled = await this.reconcileStale(now);
    }
    const rows = await this.claim(now);
    report.claimed = rows.length;
    if (!rows.length) return report;
    await this.handleClaimed(rows, now, report, options);
    return report;
  }

  /**
   * Sends rows the writer claimed for this instance in the transaction that queued them
   * (answers to someone who just wrote: conversations/writes.ts), without waiting for a
   * claim: the same checks, limits and records as claimed rows. A crash before they go
   * leaves them 'sending', and the stale-claim pass takes them up as any claimed row.
   */
  sendClaimed(rows: ClaimedRow[]): void {
    if (!rows.length) return;
    // Recorded by the recorder's own timer, with the other answers of the moment.
    const work = this.handleClaimed(rows, this.options.clock(), emptyReport(), {
      recordLater: true,
    }).catch((error: unknown) =>
      this.options.logger.error(
        { err: error, count: rows.length },
        'messages claimed by their writer could not be sent; the stale-claim pass will',
      ),
    );
    this.handing.add(work);
    void work.finally(() => this.handing.delete(work));
  }

  /** Rows handed over by sendClaimed and not yet sent (drain waits for them). */
  private readonly handing = new Set<Promise<void>>();

  /** Resolves once rows handed over are sent (or failed) and every send is recorded. */
  async settle(): Promise<void> {
    await Promise.all([...this.handing]);
    await this.recorder.flush();
  }

  private async handleClaimed(
    rows: ClaimedRow[],
    now: Date,
    report: DispatchReport,
    options: { recordLater?: boolean },
  ): Promise<void> {
    const holdUntil = performance.now() + this.maxHoldMs;

    const ready: ClaimedRow[] = [];
    for (const row of rows) {
      const outcome = await this.precheck(row, now);
      if (outcome) report[outcome] += 1;
      else ready.push(row);
    }
    const admitted = await this.applyPressure(ready, now, report);

    // One lane per provider account; lanes run side by side.
    const lanes = new Map<string, { lane: SendLane; rows: ClaimedRow[] }>();
    for (const row of admitted) {
      const sender = this.options.senders[row.channel] as ChannelSender;
      const lane = (await sender.lane?.(this.outbound(row))) ?? { key: row.channel };
      let entry = lanes.get(lane.key);
      if (!entry) {
        entry = { lane, rows: [] };
        lanes.set(lane.key, entry);
      }
      entry.rows.push(row);
    }
    // When every lane is rate limited, claim about a fifth of a second of sending at a
    // time: short claims keep the event loop (and the embedded database) from stalling
    // the lanes, so the rate stays at its limit; unlimited lanes take full batches.
    const rates = [...lanes.values()].map((l) => l.lane.perSecond);
    this.claimLimit =
      rates.length && rates.every((r) => r !== undefined)
        ? Math.max(
            10,
            Math.min(this.batchSize, Math.ceil(rates.reduce((a, r) => a + (r ?? 0), 0) / 5)),
          )
        : this.batchSize;
    const release: string[] = [];
    await Promise.all(
      [...lanes.values()].map(async ({ lane, rows: laneRows }) => {
        const limiter = this.limiter(lane);
        let next = 0;
        const worker = async () => {
          for (;;) {
            const row = laneRows[next++];
            if (!row) return;
            if (performance.now() > holdUntil) {
              release.push(row.id);
              continue;
            }
            await limiter?.take();
            const outcome = await this.deliver(row, now, limiter);
            report[outcome] += 1;
          }
        };
        await Promise.all(
          Array.from({ length: Math.min(this.concurrency, laneRows.length) }, worker),
        );
      }),
    );
    // recordLater: the recorder's own timer writes them, with the sends of the moment.
    if (!options.recordLater) await this.recorder.flush();
    if (release.length) {
      // Not started in time (a slow lane): back to the queue, the attempt not counted.
      await this.options.prisma.message.updateMany({
        where: { id: { in: release }, status: 'sending', claimedBy: this.instanceId },
        data: {
          status: 'queued',
          claimedBy: null,
          attempts: { decrement: 1 },
          pressureAt: null,
        },
      });
      report.released = release.length;
    }
  }

  /**
   * Runs batches until nothing is due; for tests, the bench and the CLI. With turns > 1,
   * that many turns run side by side, so one claims while another sends (the lanes' rate
   * limits are shared, so the rate stays the same; only the pauses between batches go).
   */
  async drain(turns = 1): Promise<DispatchReport> {
    const total = emptyReport();
    await Promise.all([...this.handing]);
    const loop = async () => {
      for (;;) {
        const r = await this.runOnce();
        for (const k of Object.keys(total) as (keyof DispatchReport)[]) total[k] += r[k];
        if (r.claimed === 0) return;
      }
    };
    await Promise.all(Array.from({ length: turns }, loop));
    await this.settle();
    return total;
  }

  /**
   * The background loop: a turn right after a full batch, otherwise a pause of
   * intervalMs. stop() lets the current turn finish.
   */
  worker(intervalMs: number, turns = 2): Worker {
    const settle = () => this.settle();
    let stopped = true;
    let loops: Promise<void>[] = [];
    const wakers = new Set<() => void>();
    const run = async () => {
      while (!stopped) {
        let full = false;
        try {
          const limit = this.claimLimit;
          const r = await this.runOnce();
          full = r.claimed > 0 && r.claimed >= limit;
        } catch (error) {
          this.options.logger.error({ err: error, worker: 'dispatcher' }, 'worker turn failed');
        }
        if (stopped || full) continue;
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(t);
            wakers.delete(wake);
            resolve();
          };
          const t = setTimeout(wake, intervalMs);
          wakers.add(wake);
        });
      }
    };
    return {
      name: 'dispatcher',
      start() {
        if (!stopped) return;
        stopped = false;
        // Two turns side by side: one claims while the other sends.
        loops = Array.from({ length: turns }, run);
      },
      async stop() {
        stopped = true;
        for (const wake of [...wakers]) wake();
        await Promise.all(loops);
        await settle();
      },
    };
  }

  private limiter(lane: SendLane): RateLimiter | undefined {
    if (!lane.perSecond) return undefined;
    let limiter = this.limiters.get(lane.key);
    if (!limiter || limiter.perSecond !== lane.perSecond) {
      limiter = new RateLimiter(lane.perSecond);
      this.limiters.set(lane.key, limiter);
    }
    return limiter;
  }

  private outbound(row: ClaimedRow): OutboundMessage {
    const payload = (row.payload ?? {}) as OutboxPayload;
    return {
      id: row.id,
      organisationId: row.organisationId,
      channel: row.channel,
      address: row.identity?.address ?? '',
      text: row.body,
      buttons: payload.buttons,
      subject: payload.subject,
      idempotencyKey: row.idempotencyKey,
      parts: row.parts,
      encoding: row.encoding,
      attempt: row.attempts,
    };
  }

  private async orgPolicy(organisationId: string, now: Date): Promise<OrgPolicy> {
    const cached = this.orgs.get(organisationId);
    if (cached && now.getTime() - cached.at < 60_000) return cached.policy;
    const org = await this.options.prisma.organisation.findUnique({
      where: { id: organisationId },
      select: { timezone: true, holidayRegion: true },
    });
    const policy = {
      timeZone: org?.timezone ?? 'Europe/Paris',
      holidayRegion: org?.holidayRegion ?? null,
    };
    this.orgs.set(organisationId, { policy, at: now.getTime() });
    return policy;
  }

  private async claim(now: Date): Promise<ClaimedRow[]> {
    const { prisma } = this.options;
    // One statement: claim the due rows and read them with their address, so a busy
    // dispatcher pays one round trip per batch however many messages it takes.
    //
    // One address's messages go in order: a row is left for a later turn while an earlier
    // message to the same identity is on its way elsewhere, i.e. claimed by another turn or
    // instance ('sending', or still 'queued' but locked by a claim running beside this one:
    // SKIP LOCKED hid it from `candidates`). Two turns run side by side, so without this one
    // could take a person's welcome and the other the question after it, and send the
    // question first. An earlier row this claim takes too does not hold a row back (both go,
    // in order, to the channel); nor does one that waits for later (notBefore to come) or an
    // uncertain send (left 'sending' until the stale-claim pass; waiting for it would hold
    // the chat for minutes). `candidates` is read twice and must lock and pick its rows
    // once: MATERIALIZED says so (PostgreSQL materialises such a CTE anyway).
    const rows = await prisma.$queryRaw<
      (Message & {
        identityAddress: string | null;
        identityOptedOutAt: Date | null;
        identityUnreachableAt: Date | null;
        identityConsent: string | null;
      })[]
    >`
      WITH candidates AS MATERIALIZED (
        SELECT id, "identityId" FROM "Message"
         WHERE status = 'queued' AND direction = 'outbound' AND "notBefore" <= ${now}
         ORDER BY urgent DESC, "notBefore", id
         LIMIT ${this.claimLimit}
         FOR UPDATE SKIP LOCKED),
      claimed AS (
        UPDATE "Message" SET status = 'sending', "claimedAt" = ${now},
               "claimedBy" = ${this.instanceId}, attempts = attempts + 1
         WHERE id IN (
           SELECT c.id FROM candidates c
            WHERE c."identityId" IS NULL OR NOT EXISTS (
              SELECT 1 FROM "Message" e
               WHERE e."identityId" = c."identityId"
                 AND e.status IN ('queued', 'sending')
                 AND e.direction = 'outbound' AND e.id < c.id
                 AND e.id NOT IN (SELECT id FROM candidates)
                 AND (e.status = 'sending' AND e."failureKind" IS DISTINCT FROM 'uncertain'
                      OR e.status = 'queued' AND e."notBefore" <= ${now})))
        RETURNING *)
      SELECT c.*, i.address AS "identityAddress", i."optedOutAt" AS "identityOptedOutAt",
             i."unreachableAt" AS "identityUnreachableAt", i.consent::text AS "identityConsent"
        FROM claimed c LEFT JOIN "ChannelIdentity" i ON i.id = c."identityId"`;
    // Urgent first, then the order they were due in.
    return rows
      .map(
        ({
          identityAddress,
          identityOptedOutAt,
          identityUnreachableAt,
          identityConsent,
          ...message
        }) => ({
          ...message,
          identity:
            identityAddress === null
              ? null
              : {
                  address: identityAddress,
                  optedOutAt: identityOptedOutAt,
                  unreachableAt: identityUnreachableAt,
                  consent: identityConsent as string,
                },
        }),
      )
      .sort(
        (a, b) =>
          Number(b.urgent) - Number(a.urgent) ||
          a.notBefore.getTime() - b.notBefore.getTime() ||
          a.id.localeCompare(b.id),
      );
  }

  private async fail(
    row: ClaimedRow,
    now: Date,
    failureKind: string,
    failureReason: string,
  ): Promise<'failed'> {
    await this.options.prisma.message.updateMany({
      where: { id: row.id, status: 'sending' },
      data: {
        status: 'failed',
        failureKind,
        failureReason,
        failedAt: now,
        pressureAt: null,
        // Never sent now: the text of an anonymous questionnaire goes all the same.
        ...((row.payload as OutboxPayload | null)?.redact
          ? { body: '', payload: REDACTED_PAYLOAD }
          : {}),
      },
    });
    this.options.logger.info(
      { messageId: row.id, channel: row.channel, failureKind },
      'message not sent',
    );
    return 'failed';
  }

  private async defer(
    row: ClaimedRow,
    now: Date,
    until: Date,
    reason: 'quiet_hours' | 'contact_pressure',
  ): Promise<'deferred' | 'failed'> {
    if (row.notAfter && until >= row.notAfter) {
      return this.fail(row, now, 'too_late', `its moment passes before it may be sent (${reason})`);
    }
    await this.options.prisma.message.updateMany({
      where: { id: row.id, status: 'sending' },
      data: {
        status: 'queued',
        notBefore: until,
        deferrals: { increment: 1 },
        deferredReason: reason,
        claimedBy: null,
        // Waiting is not an attempt.
        attempts: { decrement: 1 },
        pressureAt: null,
      },
    });
    this.options.logger.debug({ messageId: row.id, reason, until }, 'message deferred');
    return 'deferred';
  }

  // Answers to what a person just wrote, and the local web chat (a page the person has
  // open, no phone to wake up), neither wait for quiet hours nor count as contacts.
  private isFreshReply(row: ClaimedRow, now: Date): boolean {
    if (row.channel === 'web') return true;
    return Boolean(row.inReplyTo) && now.getTime() - row.createdAt.getTime() <= this.replyGraceMs;
  }

  /** Checks before sending; an outcome when the message does not go out now. */
  private async precheck(row: ClaimedRow, now: Date): Promise<Outcome | undefined> {
    const payload = (row.payload ?? {}) as OutboxPayload;
    if (row.notAfter && row.notAfter <= now) {
      return this.fail(row, now, 'too_late', 'its moment has passed');
    }
    const identity = row.identity;
    if (!identity) return this.fail(row, now, 'permanent', 'the channel identity was deleted');
    if (identity.optedOutAt && !payload.evenIfOptedOut) {
      return this.fail(row, now, 'opted_out', 'the person opted out of this channel');
    }
    if (identity.unreachableAt) {
      // Every later message for a blocked bot, not only the one that got the 403, goes by
      // SMS when they agreed to it (a reminder still names the run's Telegram identity).
      await this.fallBack(row, now);
      return this.fail(row, now, 'unreachable', 'the address is marked unreachable');
    }
    if (!this.options.senders[row.channel]) {
      return this.fail(row, now, 'permanent', `no ${row.channel} channel is configured`);
    }
    if (this.window && !row.urgent && !this.isFreshReply(row, now)) {
      const policy: QuietHoursPolicy = {
        ...(await this.orgPolicy(row.organisationId, now)),
        ...this.window,
      };
      const allowed = nextAllowedTime(now, policy);
      if (allowed > now) return this.defer(row, now, allowed, 'quiet_hours');
    }
    return undefined;
  }

  /**
   * The weekly contact limit, decided for the whole batch in one transaction that locks
   * the people concerned, so two instances cannot both let a fourth contact through.
   */
  private async applyPressure(
    rows: ClaimedRow[],
    now: Date,
    report: DispatchReport,
  ): Promise<ClaimedRow[]> {
    if (this.contactLimit <= 0) return rows;
    const subject = rows.filter(
      (r) =>
        r.personId &&
        underPressureLimit({
          purpose: r.purpose,
          urgent: r.urgent,
          reply: this.isFreshReply(r, now),
        }),
    );
    if (!subject.length) return rows;
    const { prisma } = this.options;
    const personIds = [...new Set(subject.map((r) => r.personId as string))].sort();
    const since = new Date(now.getTime() - 7 * 86_400_000);
    const denied = new Map<string, Date>();
    // Read before the transaction: on the embedded database a query outside an open
    // transaction would wait for it.
    const zones = new Map<string, string>();
    for (const row of subject) {
      zones.set(row.organisationId, (await this.orgPolicy(row.organisationId, now)).timeZone);
    }
    await prisma.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT id FROM "Person" WHERE id = ANY(${personIds}::uuid[]) ORDER BY id FOR UPDATE`;
        const past = await tx.message.findMany({
          where: { personId: { in: personIds }, pressureAt: { gt: since } },
          select: {
            personId: true,
            pressureAt: true,
            purpose: true,
            contextType: true,
            contextId: true,
            id: true,
          },
        });
        const history = new Map<string, PastContact[]>();
        for (const p of past) {
          const list = history.get(p.personId as string) ?? [];
          list.push({
            at: p.pressureAt as Date,
            purpose: p.purpose,
            contextKey: p.contextId ? `${p.contextType}:${p.contextId}` : p.id,
          });
          history.set(p.personId as string, list);
        }
        // Higher priorities take the week's room first.
        const ordered = [...subject].sort(
          (a, b) =>
            PRIORITY[b.purpose] - PRIORITY[a.purpose] ||
            a.notBefore.getTime() - b.notBefore.getTime(),
        );
        const admitted: string[] = [];
        for (const row of ordered) {
          const list = history.get(row.personId as string) ?? [];
          const contextKey = row.contextId ? `${row.contextType}:${row.contextId}` : row.id;
          const decision = pressureDecision({ purpose: row.purpose, contextKey }, list, now, {
            limit: this.contactLimit,
            timeZone: zones.get(row.organisationId),
          });
          if (decision.allowed) {
            admitted.push(row.id);
            list.push({ at: now, purpose: row.purpose, contextKey });
            history.set(row.personId as string, list);
          } else {
            denied.set(row.id, decision.retryAt);
          }
        }
        if (admitted.length) {
          await tx.message.updateMany({
            where: { id: { in: admitted } },
            data: { pressureAt: now },
          });
        }
      },
      { timeout: 30_000, maxWait: 30_000 },
    );
    const go: ClaimedRow[] = [];
    for (const row of rows) {
      const retryAt = denied.get(row.id);
      if (!retryAt) {
        go.push(row);
        continue;
      }
      const policy = this.window
        ? { ...(await this.orgPolicy(row.organisationId, now)), ...this.window }
        : undefined;
      const until = policy ? nextAllowedTime(retryAt, policy) : retryAt;
      const outcome = await this.defer(row, now, until, 'contact_pressure');
      report[outcome] += 1;
    }
    return go;
  }

  private async deliver(row: ClaimedRow, now: Date, limiter?: RateLimiter): Promise<Outcome> {
    const { prisma, logger } = this.options;
    const sender = this.options.senders[row.channel] as ChannelSender;
    let result: SendResult;
    try {
      result = await sender.send(this.outbound(row));
    } catch (error) {
      result = {
        ok: false,
        kind: 'transient',
        reason: error instanceof Error ? error.message : String(error),
      };
    }
    if (result.ok) {
      // Recorded within milliseconds (batched): from then on the message is known as sent.
      this.recorder.add(row.id, result.providerId ?? null, result.parts ?? row.parts, now);
      return 'sent';
    }
    if (result.kind === 'permanent') return this.fail(row, now, 'permanent', result.reason);
    if (result.kind === 'unreachable') {
      await prisma.channelIdentity.update({
        where: { id: row.identityId as string },
        data: {
          unreachableAt: now,
          unreachableReason: result.reason,
          consentEvents: { create: { action: 'unreachable', source: row.channel, at: now } },
        },
      });
      await this.fallBack(row, now);
      return this.fail(row, now, 'unreachable', result.reason);
    }
    if (result.kind === 'rate_limited') {
      // The provider's limit, not the message's fault: pause the lane, do not count it.
      const wait = result.retryAfterMs ?? 1000;
      limiter?.pause(wait);
      await prisma.message.updateMany({
        where: { id: row.id, status: 'sending' },
        data: {
          status: 'queued',
          notBefore: new Date(now.getTime() + wait),
          attempts: { decrement: 1 },
          failureKind: result.kind,
          failureReason: result.reason,
          claimedBy: null,
          pressureAt: null,
        },
      });
      return 'retried';
    }
    if (result.uncertain) {
      // Perhaps taken: left 'sending' so the stale-claim pass asks the provider before
      // anything is sent again.
      await prisma.message.updateMany({
        where: { id: row.id, status: 'sending' },
        data: { failureKind: 'uncertain', failureReason: result.reason },
      });
      logger.warn(
        { messageId: row.id, channel: row.channel },
        'send outcome unknown, will reconcile',
      );
      return 'retried';
    }
    if (row.attempts >= this.maxAttempts) return this.fail(row, now, 'transient', result.reason);
    const delay = result.retryAfterMs ?? this.retryBaseMs * 2 ** (row.attempts - 1);
    await prisma.message.updateMany({
      where: { id: row.id, status: 'sending' },
      data: {
        status: 'queued',
        notBefore: new Date(now.getTime() + delay),
        failureKind: result.kind,
        failureReason: result.reason,
        claimedBy: null,
        pressureAt: null,
      },
    });
    logger.info(
      { messageId: row.id, channel: row.channel, kind: result.kind, retryInMs: delay },
      'send failed, will retry',
    );
    return 'retried';
  }

  /**
   * Messages left 'sending' by a crash. Each is taken by one instance (a conditional
   * update of claimedBy), then the channel says whether the provider has it.
   */
  private async reconcileStale(now: Date): Promise<number> {
    const { prisma, logger } = this.options;
    const stale = await prisma.message.findMany({
      where: { status: 'sending', claimedAt: { lt: new Date(now.getTime() - this.staleClaimMs) } },
      include: {
        identity: {
          select: { address: true, optedOutAt: true, unreachableAt: true, consent: true },
        },
      },
      take: 100,
    });
    let done = 0;
    for (const row of stale) {
      const mark = `reconcile:${this.instanceId}`;
      const { count } = await prisma.message.updateMany({
        where: {
          id: row.id,
          status: 'sending',
          claimedBy: row.claimedBy,
          claimedAt: row.claimedAt,
        },
        data: { claimedBy: mark },
      });
      if (!count) continue;
      const claimedAt = row.claimedAt ?? now;
      let result: ReconcileResult;
      if (row.providerId) {
        result = { sent: true, providerId: row.providerId };
      } else {
        const sender = this.options.senders[row.channel];
        try {
          result = sender?.reconcile
            ? await sender.reconcile(this.outbound(row), claimedAt)
            : { sent: false };
        } catch {
          result = undefined;
        }
      }
      if (result?.sent) {
        await prisma.message.updateMany({
          where: { id: row.id, status: 'sending' },
          data: {
            status: result.delivered ? 'delivered' : 'sent',
            providerId: result.providerId,
            sentAt: claimedAt,
            ...(result.delivered ? { deliveredAt: now } : {}),
            claimedBy: null,
            ...(redactsOnSent(row.payload) ? { body: '', payload: REDACTED_PAYLOAD } : {}),
          },
        });
        logger.warn({ messageId: row.id }, 'stale claim: the provider had it, marked sent');
      } else if (
        result?.sent === false ||
        claimedAt.getTime() < now.getTime() - this.staleClaimMs - this.receiptWindowMs
      ) {
        await prisma.message.updateMany({
          where: { id: row.id, status: 'sending', claimedBy: mark },
          data: { status: 'queued', claimedBy: null, pressureAt: null },
        });
        logger.warn(
          { messageId: row.id, known: result !== undefined },
          result
            ? 'stale claim: not at the provider, queued again'
            : 'stale claim: no evidence within the receipt window, queued again',
        );
      } else {
        // Unknown yet: give receipts time, look again later.
        await prisma.message.updateMany({
          where: { id: row.id, status: 'sending', claimedBy: mark },
          data: { claimedBy: row.claimedBy },
        });
        continue;
      }
      done++;
    }
    return done;
  }

  // A messaging app that stopped working (bot blocked) should not leave the person
  // uninformed: the same text goes by SMS when they agreed to SMS.
  private async fallBack(row: ClaimedRow, now: Date): Promise<void> {
    if (!row.personId || row.channel === 'sms') return;
    const sms = await this.options.prisma.channelIdentity.findFirst({
      where: {
        personId: row.personId,
        channel: 'sms',
        consent: 'granted',
        optedOutAt: null,
        unreachableAt: null,
      },
    });
    if (!sms) return;
    // Buttons do not exist by SMS: the same answers become numbered lines ("1" works).
    const buttons = ((row.payload ?? {}) as OutboxPayload).buttons ?? [];
    const body = buttons.length
      ? `${row.body}\n${buttons.map((b, i) => `${i + 1}. ${b.label}`).join('\n')}`
      : row.body;
    // The same lock-screen rule as on Telegram: an SMS preview shows the first line too.
    const text = privateFirstLine(body);
    await enqueue(
      this.options.prisma,
      {
        organisationId: row.organisationId,
        personId: row.personId,
        identityId: sms.id,
        channel: 'sms',
        text,
        purpose: row.purpose as MessagePurpose,
        urgent: row.urgent,
        notAfter: row.notAfter ?? undefined,
        idempotencyKey: `${row.idempotencyKey}:fallback:sms`,
        contextType: row.contextType ?? undefined,
        contextId: row.contextId ?? undefined,
        ...(row.inReplyTo ? { inReplyTo: row.inReplyTo } : {}),
        redactAfterSend: Boolean(((row.payload ?? {}) as OutboxPayload).redact),
      },
      now,
    );
    this.options.logger.info({ messageId: row.id }, 'channel unreachable: falling back to SMS');
  }
}
