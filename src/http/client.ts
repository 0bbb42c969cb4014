// Where a request comes from. With TRUST_PROXY, Fastify's req.ip is the client that the
// trusted proxies name in X-Forwarded-For. Without it, req.ip is the peer of the
// connection: behind a reverse proxy on this machine that is the proxy, 127.0.0.1, for
// every visitor. So a request that says it was forwarded is never taken for a local one
// unless the proxies are trusted, and the local-only pages stay local behind a proxy.
import type { FastifyRequest } from 'fastify';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** Did this request come from this machine (a browser on it, not through a proxy)? */
export function fromThisMachine(req: FastifyRequest, trustProxy: false | string[]): boolean {
  if (!LOOPBACK.has(req.ip)) return false;
  if (trustProxy) return true;
  return req.headers['x-forwarded-for'] === undefined && req.headers.forwarded === undefined;
}
