import type { Prisma, PrismaClient } from '../generated/prisma/client.js';

/** The client or an open transaction: functions that write take either. */
export type Db = PrismaClient | Prisma.TransactionClient;

/** Is this a unique-constraint violation (Prisma P2002), e.g. a repeated idempotency key? */
export function isUniqueViolation(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    (error as { code?: string }).code === 'P2002'
  );
}
