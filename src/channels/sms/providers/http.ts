// A small fetch for provider APIs over node:http(s) with keep-alive agents. Node's global
// fetch (undici and web streams) costs about a millisecond of CPU per request here; this
// costs a fraction of that, which matters at hundreds of SMS a second. It implements the
// part of fetch the providers use: method, headers, string body, signal; status, ok,
// headers.get, text(), json(). Network errors carry cause.code like fetch's do.
import http from 'node:http';
import https from 'node:https';

// Idle connections are dropped after 4 s, before servers usually close theirs (5 s or
// more), so a request rarely meets a connection the server has just closed.
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64, timeout: 4000 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64, timeout: 4000 }),
};

class Answer {
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  constructor(
    readonly status: number,
    raw: http.IncomingHttpHeaders,
    private readonly body: string,
  ) {
    this.ok = status >= 200 && status < 300;
    this.headers = {
      get: (name) => {
        const v = raw[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
      },
    };
  }
  async text(): Promise<string> {
    return this.body;
  }
  async json(): Promise<unknown> {
    return JSON.parse(this.body);
  }
}

// No retry here: a failure after the request left may mean the provider has it, so the
// caller reports it as uncertain and the dispatcher reconciles before sending again.
export const keepAliveFetch = ((input: string | URL, init: RequestInit = {}) =>
  once(input, init)) as unknown as typeof fetch;

const once = (input: string | URL, init: RequestInit) =>
  new Promise<Answer>((resolve, reject) => {
    const url = new URL(String(input));
    const transport = url.protocol === 'https:' ? https : http;
    const body = typeof init.body === 'string' ? init.body : undefined;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((init.headers ?? {}) as Record<string, string>)) {
      headers[k] = v;
    }
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const req = transport.request(
      url,
      { method: init.method ?? 'GET', headers, agent: agents[url.protocol as 'http:'] },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve(new Answer(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString())),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      reject(Object.assign(new Error(`request failed: ${error.message}`), { cause: error })),
    );
    const signal = init.signal;
    if (signal) {
      if (signal.aborted) req.destroy(new Error('aborted'));
      signal.addEventListener('abort', () => req.destroy(new Error('timed out')), { once: true });
    }
    req.end(body);
  });
