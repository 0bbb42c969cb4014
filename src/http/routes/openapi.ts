// Serves the OpenAPI description kept in docs/openapi.yaml (the file is the source).
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

export const openApiPath = new URL('../../../docs/openapi.yaml', import.meta.url);

export function openApiRoute(app: FastifyInstance): void {
  const text = readFileSync(openApiPath, 'utf8');
  app.get('/openapi.yaml', async (_req, reply) =>
    reply.type('application/yaml; charset=utf-8').send(text),
  );
}
