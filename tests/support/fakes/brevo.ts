// A fake Brevo transactional SMS API on 127.0.0.1: POST /v3/transactionalSMS/send (api-key
// header checked), the SMS event log GET /v3/transactionalSMS/statistics/events, and the
// events Brevo posts back (delivered, hard_bounce, replied...) to the per-message webUrl.
// It can be down (503) for a while, capped in messages per second (429), or accept a send
// and drop the connection before answering (the crash window the dispatcher reconciles).
import { countSegments } from '../../../src/domain/sms/index.js';
import { type Cap, callWebhook, cap, json, listen, readBody, takeCap } from './http-fake.js';

export interface BrevoSent {
  messageId: number;
  sender: string;
  recipient: string;
  content: string;
  tag?: string;
  webUrl?: string;
  unicodeEnabled?: boolean;
  type?: string;
  /** SMS billed, as the fake answered. */
  smsCount?: number;
  at: number;
}

export interface FakeBrevo {
  /** BREVO_API_URL for Relais. */
  url: string;
  apiKey: string;
  sent: BrevoSent[];
  /** Requests answered 5xx or 429. */
  refused: number;
  /** 503 to every send until set back to false. */
  down: boolean;
  /** The next n sends are accepted, then the connection is cut before the answer. */
  dropAnswers: number;
  setCap(perSecond: number | undefined): void;
  capRejected(): number;
  /** Posts a status event for a sent message to its webUrl (or `url`). */
  event(sent: BrevoSent, msgStatus: string, url?: string, at?: Date): Promise<number>;
  /** Posts a reply from a phone (E.164) to `url`, as Brevo's "replied" event. */
  reply(url: string, from: string, text: string, inAnswerTo?: BrevoSent): Promise<number>;
  close(): Promise<void>;
}

export async function startFakeBrevo(apiKey = 'xkeysib-test-0123456789'): Promise<FakeBrevo> {
  const sent: BrevoSent[] = [];
  let nextId = 1_000_000;
  let limit: Cap | undefined;
  let replyId = 1;
  const state = { down: false, dropAnswers: 0, refused: 0 };
  const http = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.headers['api-key'] !== apiKey)
      return json(res, 401, { code: 'unauthorized', message: 'Key not found' });
    if (req.method === 'POST' && url.pathname === '/v3/transactionalSMS/send') {
      const body = JSON.parse(await readBody(req)) as Omit<BrevoSent, 'messageId' | 'at'>;
      if (state.down) {
        state.refused++;
        return json(res, 503, { code: 'service_unavailable', message: 'try later' });
      }
      if (!takeCap(limit)) {
        state.refused++;
        return json(
          res,
          429,
          { code: 'too_many_requests', message: 'slow down' },
          { 'retry-after': '1' },
        );
      }
      if (!/^\d{8,15}$/.test(body.recipient ?? '')) {
        return json(res, 400, { code: 'invalid_parameter', message: 'recipient is invalid' });
      }
      const record: BrevoSent = { ...body, messageId: nextId++, at: performance.now() };
      sent.push(record);
      if (state.dropAnswers > 0) {
        state.dropAnswers--;
        req.socket.destroy();
        return;
      }
      // Counted as Brevo bills: GSM-7 160 alone / 153 a part, extension characters count
      // two; UCS-2 (a character outside GSM-7) 70 alone / 67 a part.
      const smsCount = countSegments(body.content).parts;
      record.smsCount = smsCount;
      return json(res, 201, {
        reference: `ref-${record.messageId}`,
        messageId: record.messageId,
        smsCount,
        usedCredits: smsCount,
      });
    }
    if (req.method === 'GET' && url.pathname === '/v3/transactionalSMS/statistics/events') {
      const tags = url.searchParams.get('tags');
      const phone = url.searchParams.get('phoneNumber');
      const events = sent
        .filter((s) => (!tags || s.tag === tags) && (!phone || s.recipient === phone))
        .map((s) => ({
          phoneNumber: s.recipient,
          date: new Date().toISOString(),
          messageId: s.messageId,
          event: 'sent',
          tag: s.tag,
        }));
      return json(res, 200, { events });
    }
    return json(res, 404, { code: 'not_found' });
  });
  return {
    url: `${http.url}/v3`,
    apiKey,
    sent,
    get refused() {
      return state.refused;
    },
    get down() {
      return state.down;
    },
    set down(v: boolean) {
      state.down = v;
    },
    get dropAnswers() {
      return state.dropAnswers;
    },
    set dropAnswers(n: number) {
      state.dropAnswers = n;
    },
    setCap(perSecond) {
      limit = perSecond ? cap(perSecond) : undefined;
    },
    capRejected: () => limit?.rejected ?? 0,
    async event(s, msgStatus, url, at = new Date()) {
      const target = url ?? s.webUrl;
      if (!target) throw new Error('no webUrl for this message');
      const r = await callWebhook(target, {
        id: s.messageId,
        to: s.recipient,
        sms_count: 1,
        credits_used: 1,
        messageId: s.messageId,
        msg_status: msgStatus,
        date: at.toISOString(),
        ts_event: Math.floor(at.getTime() / 1000),
        tag: s.tag,
        type: 'sms',
      });
      return r.status;
    },
    async reply(url, from, text, inAnswerTo) {
      const at = new Date();
      const r = await callWebhook(url, {
        id: `reply-${replyId++}`,
        to: from.replace(/^\+/, ''),
        messageId: inAnswerTo?.messageId ?? 0,
        msg_status: 'replied',
        reply: text,
        date: at.toISOString(),
        // Seconds, as Brevo sends it.
        ts_event: Math.floor(at.getTime() / 1000),
        type: 'sms',
      });
      return r.status;
    },
    close: http.close,
  };
}
