// What the conversation layer writes for one transaction, gathered and written together
// just before it commits: the outbox rows, the run rows, the named results, the timeout
// fires to cancel and the anonymous answers to blank. A batch of answers then costs one
// statement of each kind, whatever its size. Only rows that nothing later in the same
// transaction reads back are gathered; everything else is written at once.
import { v7 as uuidv7 } from 'uuid';
import type { SqlRunner, StatementOptions } from '../db/direct.js';
import { fromJsonRow, insertSql } from '../db/json-rows.js';
import type { Db } from '../db/types.js';
import type { RunStatus } from '../generated/prisma/client.js';
import type { ClaimedRow } from '../messaging/dispatcher.js';
import {
  type EnqueueRequest,
  messageRows,
  newMessageId,
  noteQueued,
  REDACTED_PAYLOAD,
} from '../messaging/outbox.js';

/** Where a flush writes: its statement, and Prisma for what it reads first (SMS settings). */
export interface WriteTarget {
  sql: SqlRunner;
  prisma: Db;
}

export interface RunRowUpdate {
  id: string;
  status: RunStatus;
  currentNodeId: string | null;
  state: unknown;
  stepCount: number;
  endedAt: Date | null;
  updatedAt: Date;
}

export interface ResultRow {
  runId: string;
  name: string;
  nodeId: string;
  value: string;
  category: string | null;
  input: string | null;
  createdAt: Date;
}

export class Writes {
  private readonly messages: (EnqueueRequest & { id: string; at: Date })[] = [];
  private readonly runs = new Map<string, RunRowUpdate>();
  private readonly results = new Map<string, ResultRow>();
  private readonly cancels = new Map<string, { subjectType: string; kinds?: string[] }>();
  private readonly cancelled = new Map<string, Set<string>>();
  private readonly blanked: string[] = [];

  /** Queues an outbound message; its id (given now) keeps the order of the calls. */
  message(req: EnqueueRequest, at: Date): void {
    this.messages.push({ ...req, id: newMessageId(), at });
  }

  /** The run's row as it stands after this step (a later step of it replaces it). */
  run(update: RunRowUpdate): void {
    this.runs.set(update.id, update);
  }

  result(row: ResultRow): void {
    this.results.set(`${row.runId}\n${row.name}`, row);
  }

  /** Pending fires of a subject to skip: of the kinds named, or all. */
  cancelFires(subject: { subjectType: string; subjectId: string; kinds?: string[] }): void {
    const key = `${subject.subjectType}\n${subject.kinds?.join(',') ?? '*'}`;
    this.cancels.set(key, { subjectType: subject.subjectType, kinds: subject.kinds });
    let ids = this.cancelled.get(key);
    if (!ids) {
      ids = new Set();
      this.cancelled.set(key, ids);
    }
    ids.add(subject.subjectId);
  }

  /** An inbound message whose text must leave the row that names the person. */
  blank(messageId: string): void {
    this.blanked.push(messageId);
  }

  /**
   * Writes everything gathered in one statement: each kind of row is a data-modifying
   * WITH clause (PostgreSQL runs each exactly once, on the same snapshot; none of them
   * reads what another writes). One round trip to the database however many kinds.
   *
   * With `claim`, answers to what someone just wrote are written already claimed by that
   * dispatcher instance, and returned with their address for it to send at once
   * (Dispatcher.sendClaimed): no claim statement, no wait for a dispatcher turn.
   * With `last`, the statement is the transaction's last (its COMMIT goes with it).
   */
  async flush(
    on: WriteTarget,
    claim?: { by: string; at: Date },
    options: StatementOptions = {},
  ): Promise<ClaimedRow[]> {
    const parts: string[] = [];
    const values: unknown[] = [];
    const param = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    if (this.runs.size) {
      const rows = [...this.runs.values()].map((r) => ({
        ...r,
        endedAt: r.endedAt?.toISOString() ?? null,
        updatedAt: r.updatedAt.toISOString(),
      }));
      // Prisma keeps times as UTC wall-clock timestamps: an ISO string's "Z" is dropped.
      parts.push(`UPDATE "FlowRun" AS r SET
           status = v.status::"RunStatus",
           "currentNodeId" = v."currentNodeId",
           state = v.state,
           "stepCount" = v."stepCount",
           "endedAt" = v."endedAt"::timestamp(3),
           "updatedAt" = v."updatedAt"::timestamp(3)
         FROM jsonb_to_recordset(${param(JSON.stringify(rows))}::jsonb) AS v(id uuid,
              status text, "currentNodeId" text, state jsonb, "stepCount" int,
              "endedAt" text, "updatedAt" text)
         WHERE r.id = v.id`);
    }
    if (this.results.size) {
      const rows = [...this.results.values()].map((r) => ({
        ...r,
        id: uuidv7(),
        createdAt: r.createdAt.toISOString(),
      }));
      parts.push(`INSERT INTO "FlowResult" (id, "runId", name, "nodeId", value, category, input, "createdAt")
         SELECT v.id, v."runId", v.name, v."nodeId", v.value, v.category, v.input,
                v."createdAt"::timestamp(3)
           FROM jsonb_to_recordset(${param(JSON.stringify(rows))}::jsonb) AS v(id uuid,
                "runId" uuid, name text, "nodeId" text, value text, category text,
                input text, "createdAt" text)
         ON CONFLICT ("runId", name) DO UPDATE SET
           "nodeId" = EXCLUDED."nodeId", value = EXCLUDED.value,
           category = EXCLUDED.category, input = EXCLUDED.input`);
    }
    let claiming = false;
    let messagesPart = -1;
    if (this.messages.length) {
      // Every row names every column the others have (an absent one would be NULL).
      const rows = (await messageRows(on.prisma, this.messages)).map((row) => {
        if (!claim || !row.inReplyTo || row.notBefore > claim.at) {
          return { ...row, attempts: 0 };
        }
        claiming = true;
        return {
          ...row,
          status: 'sending' as const,
          claimedAt: claim.at,
          claimedBy: claim.by,
          attempts: 1,
        };
      });
      noteQueued(rows.filter((r) => r.status === 'queued').length);
      // The claimed rows come back whole (a row already there, a redelivery, does not).
      const insert = insertSql('Message', rows, {
        onConflictDoNothing: true,
        returningJsonAs: claiming ? 'm' : undefined,
      });
      messagesPart = parts.length;
      parts.push(insert.sql.replace('$1', param(insert.json)));
    }
    for (const [key, c] of this.cancels) {
      parts.push(`UPDATE "ScheduledFire" SET status = 'skipped'
          WHERE "subjectType" = ${param(c.subjectType)}
            AND "subjectId" = ANY(${param([...(this.cancelled.get(key) ?? [])])}::text[])
            AND status = 'pending'
            ${c.kinds ? `AND kind = ANY(${param(c.kinds)}::text[])` : ''}`);
    }
    if (this.blanked.length) {
      parts.push(`UPDATE "Message" SET body = '', payload = ${param(JSON.stringify(REDACTED_PAYLOAD))}::jsonb
          WHERE id = ANY(${param(this.blanked)}::uuid[])`);
    }
    if (!parts.length) return [];
    if (!claiming) {
      const sql =
        parts.length === 1
          ? (parts[0] as string)
          : `WITH ${parts.map((p, i) => `w${i} AS (${p})`).join(',\n')} SELECT 1`;
      await on.sql.execute(sql, values, options);
      return [];
    }
    const rows = await on.sql.query<{ m: unknown; i: unknown }>(
      `WITH ${parts.map((p, i) => `w${i} AS (${p})`).join(',\n')}
       SELECT w.m, to_jsonb(i) AS i FROM w${messagesPart} w
         LEFT JOIN "ChannelIdentity" i ON i.id = (w.m->>'identityId')::uuid
        WHERE w.m->>'status' = 'sending'`,
      values,
      options,
    );
    return rows.map(({ m, i }) => {
      const identity = i ? fromJsonRow('ChannelIdentity', i) : null;
      return {
        ...fromJsonRow('Message', m),
        identity: identity && {
          address: identity.address,
          optedOutAt: identity.optedOutAt,
          unreachableAt: identity.unreachableAt,
          consent: identity.consent,
        },
      };
    });
  }
}
