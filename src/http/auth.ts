// Bearer tokens per organisation for the HTTP API. Only a SHA-256 of each token is stored;
// a token is shown once, when it is created.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PrismaClient } from '../generated/prisma/client.js';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function createApiToken(
  prisma: PrismaClient,
  organisationId: string,
  name: string,
): Promise<string> {
  const token = `rls_${randomBytes(24).toString('base64url')}`;
  await prisma.apiToken.create({ data: { organisationId, name, tokenHash: hashToken(token) } });
  return token;
}

declare module 'fastify' {
  interface FastifyRequest {
    organisationId?: string;
  }
}

/** A preHandler that sets request.organisationId from a valid token, or answers 401. */
export function requireToken(prisma: PrismaClient) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'missing bearer token (Authorization: Bearer <token>)' });
    }
    const row = await prisma.apiToken.findUnique({ where: { tokenHash: hashToken(match[1]) } });
    if (!row || row.revokedAt) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'unknown or revoked token' });
    }
    req.organisationId = row.organisationId;
  };
}
