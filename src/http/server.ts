// The Fastify server. Route modules register themselves here, one per feature.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from '../logger.js';

const routeTables = new WeakMap<FastifyInstance, string[]>();

/** Every "METHOD /path" registered on the server (HEAD included), in order. */
export function routesOf(server: FastifyInstance): string[] {
  return routeTables.get(server) ?? [];
}

export interface ServerOptions {
  /**
   * Reverse proxies (IPs, CIDR blocks) whose X-Forwarded-For is believed: req.ip is then
   * the client they name, not the proxy. false: req.ip is the peer of the connection.
   */
  trustProxy?: false | string[];
}

export function createServer(logger: Logger, options: ServerOptions = {}): FastifyInstance {
  const server = Fastify({
    loggerInstance: logger,
    trustProxy: options.trustProxy || false,
    // Let in-flight requests finish on shutdown, but do not wait on idle keep-alives.
    forceCloseConnections: 'idle',
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
  }) as unknown as FastifyInstance;
  const table: string[] = [];
  routeTables.set(server, table);
  server.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) table.push(`${method} ${route.url}`);
  });
  return server;
}
