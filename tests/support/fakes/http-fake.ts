// Small shared pieces of the loopback HTTP fakes (Brevo, OVHcloud): a JSON server, an
// outage switch (5xx until told otherwise) and a per-second cap answered with 429.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Cap {
  /** Messages per second the fake accepts (token bucket, small burst). */
  perSecond: number;
  burst: number;
  tokens: number;
  last: number;
  rejected: number;
}

// The burst a provider tolerates: a quarter of a second of sends, so requests that reach
// it bunched by scheduling on a busy machine are not refused while the rate holds.
export function cap(perSecond: number, burst = Math.max(2, Math.ceil(perSecond / 4))): Cap {
  return { perSecond, burst, tokens: burst, last: performance.now(), rejected: 0 };
}

/** Takes one send from the cap; false: over the limit (answer 429). */
export function takeCap(c: Cap | undefined): boolean {
  if (!c) return true;
  const t = performance.now();
  c.tokens = Math.min(c.burst, c.tokens + ((t - c.last) * c.perSecond) / 1000);
  c.last = t;
  if (c.tokens >= 1) {
    c.tokens -= 1;
    return true;
  }
  c.rejected++;
  return false;
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function json(res: ServerResponse, status: number, body: unknown, headers = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((error) => {
      if (!res.headersSent) json(res, 500, { error: String(error) });
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Posts a webhook the way a provider does (JSON body, or a GET with a query). */
export async function callWebhook(
  url: string,
  body?: unknown,
  method: 'POST' | 'GET' = 'POST',
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method,
    ...(method === 'POST'
      ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
      : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed };
}
