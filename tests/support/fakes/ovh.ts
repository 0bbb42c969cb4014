// A fake OVHcloud SMS API on 127.0.0.1: /auth/time, signed POST /sms/{svc}/jobs (the
// signature is recomputed and a wrong one refused, as OVH does), the outgoing list by tag,
// and the incoming replies a test adds (listed, read, deleted). It can be down (503) or
// capped in messages per second (429), and fail the next deletes of replies (500).
import { ovhSignature } from '../../../src/channels/sms/providers/ovh.js';
import { type Cap, cap, json, listen, readBody, takeCap } from './http-fake.js';

export interface OvhJob {
  id: number;
  message: string;
  receivers: string[];
  sender?: string;
  senderForResponse?: boolean;
  coding?: string;
  noStopClause?: boolean;
  tag?: string;
  at: number;
}

export interface FakeOvh {
  /** OVH_ENDPOINT for Relais. */
  url: string;
  credentials: {
    applicationKey: string;
    applicationSecret: string;
    consumerKey: string;
    serviceName: string;
  };
  jobs: OvhJob[];
  badSignatures: number;
  down: boolean;
  /** The next n DELETEs of a reply answer 500 and keep it (OVH failing, a cut link). */
  failDeletes: number;
  setCap(perSecond: number | undefined): void;
  addIncoming(sender: string, message: string): number;
  incoming(): number[];
  close(): Promise<void>;
}

export async function startFakeOvh(): Promise<FakeOvh> {
  const credentials = {
    applicationKey: 'appkey-fake-01',
    applicationSecret: 'application-secret-fake-0123',
    consumerKey: 'consumer-key-fake-0123456789',
    serviceName: 'sms-ab12345-1',
  };
  const jobs: OvhJob[] = [];
  const inbox = new Map<
    number,
    { id: number; sender: string; message: string; creationDatetime: string }
  >();
  let nextId = 500_000;
  let nextIncoming = 1;
  let limit: Cap | undefined;
  const state = { down: false, badSignatures: 0, failDeletes: 0 };
  let base = '';
  const http = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/^\/1\.0/, '');
    if (path === '/auth/time') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(String(Math.floor(Date.now() / 1000)));
      return;
    }
    const body = await readBody(req);
    const ts = Number(req.headers['x-ovh-timestamp']);
    const expected = ovhSignature(
      credentials.applicationSecret,
      credentials.consumerKey,
      req.method ?? 'GET',
      `${base}${url.pathname}${url.search}`,
      body,
      ts,
    );
    if (
      req.headers['x-ovh-application'] !== credentials.applicationKey ||
      req.headers['x-ovh-signature'] !== expected ||
      Math.abs(ts - Date.now() / 1000) > 180
    ) {
      state.badSignatures++;
      return json(res, 400, { errorCode: 'INVALID_SIGNATURE', message: 'Invalid signature' });
    }
    const svc = `/sms/${credentials.serviceName}`;
    if (req.method === 'POST' && path === `${svc}/jobs`) {
      if (state.down) return json(res, 503, { message: 'Service unavailable' });
      if (!takeCap(limit))
        return json(res, 429, { message: 'Too many requests' }, { 'retry-after': '1' });
      const job = JSON.parse(body) as Omit<OvhJob, 'id' | 'at'>;
      const valid = job.receivers.filter((r) => /^\+\d{8,15}$/.test(r));
      const invalid = job.receivers.filter((r) => !valid.includes(r));
      if (!valid.length)
        return json(res, 200, {
          ids: [],
          validReceivers: [],
          invalidReceivers: invalid,
          totalCreditsRemoved: 0,
        });
      const id = nextId++;
      jobs.push({ ...job, id, at: performance.now() });
      return json(res, 200, {
        ids: [id],
        validReceivers: valid,
        invalidReceivers: invalid,
        totalCreditsRemoved: 1,
      });
    }
    if (req.method === 'GET' && path === `${svc}/outgoing`) {
      const tag = url.searchParams.get('tag');
      return json(
        res,
        200,
        jobs.filter((j) => !tag || j.tag === tag).map((j) => j.id),
      );
    }
    if (req.method === 'GET' && path === `${svc}/incoming`)
      return json(res, 200, [...inbox.keys()]);
    const one = new RegExp(`^${svc}/incoming/(\\d+)$`).exec(path);
    if (one) {
      const id = Number(one[1]);
      const sms = inbox.get(id);
      if (!sms) return json(res, 404, { message: 'not found' });
      if (req.method === 'DELETE') {
        if (state.failDeletes > 0) {
          state.failDeletes--;
          return json(res, 500, { message: 'Internal server error' });
        }
        inbox.delete(id);
        return json(res, 200, null);
      }
      return json(res, 200, { ...sms, tag: '', credits: 0 });
    }
    return json(res, 404, { message: `no route ${req.method} ${path}` });
  });
  base = http.url;
  return {
    url: `${http.url}/1.0`,
    credentials,
    jobs,
    get badSignatures() {
      return state.badSignatures;
    },
    get down() {
      return state.down;
    },
    set down(v: boolean) {
      state.down = v;
    },
    get failDeletes() {
      return state.failDeletes;
    },
    set failDeletes(n: number) {
      state.failDeletes = n;
    },
    setCap(perSecond) {
      limit = perSecond ? cap(perSecond) : undefined;
    },
    addIncoming(sender, message) {
      const id = nextIncoming++;
      inbox.set(id, { id, sender, message, creationDatetime: new Date().toISOString() });
      return id;
    },
    incoming: () => [...inbox.keys()],
    close: http.close,
  };
}
