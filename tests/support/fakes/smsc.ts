// A fake SMSC on 127.0.0.1, made with the smpp package's server: bind_transceiver with a
// system id and password, submit_sm answered with a message id, and deliver_sm pushed to
// the bound client: delivery receipts (esm_class 0x04, "id:... stat:DELIVRD", echoing the
// user_message_reference) and replies (MO), long ones in parts. It can refuse binds and
// drop every link (an outage), throttle, refuse submits with a given status, accept a
// submit and cut the link before answering, or deliver a reply and cut the link before
// reading our answer, then deliver it again (a lost deliver_sm_resp).
import type { AddressInfo } from 'node:net';
import smpp, { type PDU, type Session } from 'smpp';

export interface SmscSubmit {
  messageId: string;
  destination: string;
  source: string;
  /** This PDU's text: a part's only, for a part of a long message. */
  text: string;
  dataCoding: number;
  esmClass: number;
  /** The concatenation header of a part (user data header, 8-bit reference). */
  udh?: { ref: number; total: number; seq: number };
  /** Whether the text came in message_payload. */
  payload: boolean;
  userMessageReference?: number;
  at: number;
}

/** A message as the phone shows it: its parts put together. */
export interface SmscMessage {
  destination: string;
  text: string;
  parts: SmscSubmit[];
}

export type MoSplit = 'udh8' | 'udh16' | 'sar';

export interface FakeSmsc {
  url: string;
  systemId: string;
  password: string;
  submits: SmscSubmit[];
  binds: number;
  /** Refuse binds (and drop links when set with dropLinks()). */
  down: boolean;
  /** The next n submits are stored, then the link is cut before the answer. */
  dropAnswers: number;
  throttle: boolean;
  /** Submits answered with this command_status (the first `count` of them, or all). */
  refuse(status: number, count?: number): void;
  dropLinks(): void;
  bound(): number;
  /** Every submit put together per message (a long message's parts, in order). */
  messages(): SmscMessage[];
  receipt(submit: SmscSubmit, stat?: string): Promise<void>;
  mo(from: string, text: string): Promise<void>;
  /** A long reply in parts (default 2), with a UDH (8- or 16-bit reference) or SAR TLVs. */
  moParts(
    from: string,
    text: string,
    options?: { parts?: number; split?: MoSplit; ref?: number; only?: number[] },
  ): Promise<void>;
  /** Delivers a reply, then cuts the link before reading our answer: it is owed again. */
  moLostAck(from: string, text: string): Promise<void>;
  /** Delivers again what moLostAck delivered, on the link bound now. */
  redeliver(): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeSmsc(): Promise<FakeSmsc> {
  const systemId = 'relais';
  const password = 'secret';
  const submits: SmscSubmit[] = [];
  const sessions = new Set<Session>();
  const state = { down: false, dropAnswers: 0, throttle: false, binds: 0 };
  let refusal: { status: number; count: number } | undefined;
  let owed: Record<string, unknown> | undefined;
  let nextId = 1;
  const server = smpp.createServer((session) => {
    session.on('error', () => undefined);
    session.on('close', () => sessions.delete(session));
    session.on('bind_transceiver', (pdu: PDU) => {
      if (state.down || pdu.system_id !== systemId || pdu.password !== password) {
        session.send(pdu.response({ command_status: smpp.ESME_RBINDFAIL }));
        session.close();
        return;
      }
      state.binds++;
      sessions.add(session);
      session.send(pdu.response({ system_id: 'FAKESMSC' }));
    });
    session.on('enquire_link', (pdu: PDU) => session.send(pdu.response()));
    session.on('unbind', (pdu: PDU) => {
      session.send(pdu.response());
      session.close();
    });
    session.on('submit_sm', (pdu: PDU) => {
      if (state.throttle) {
        session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
        return;
      }
      if (refusal && refusal.count > 0) {
        refusal.count--;
        session.send(pdu.response({ command_status: refusal.status }));
        return;
      }
      const payload = pdu.message_payload !== undefined;
      const raw = (pdu.message_payload ?? pdu.short_message) as
        | { message?: string; udh?: Buffer[] }
        | string;
      const text = typeof raw === 'string' ? raw : (raw?.message ?? '');
      const ie = typeof raw === 'string' ? undefined : raw?.udh?.find((b) => b[0] === 0x00);
      const submit: SmscSubmit = {
        messageId: `smsc-${nextId++}`,
        destination: String(pdu.destination_addr),
        source: String(pdu.source_addr),
        text,
        dataCoding: Number(pdu.data_coding),
        esmClass: Number(pdu.esm_class),
        ...(ie
          ? { udh: { ref: ie[2] as number, total: ie[3] as number, seq: ie[4] as number } }
          : {}),
        payload,
        userMessageReference: pdu.user_message_reference as number | undefined,
        at: performance.now(),
      };
      submits.push(submit);
      if (state.dropAnswers > 0) {
        state.dropAnswers--;
        session.socket.destroy();
        return;
      }
      session.send(pdu.response({ message_id: submit.messageId }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const anySession = () => {
    const s = [...sessions][0];
    if (!s) throw new Error('no client bound to the fake SMSC');
    return s;
  };
  const push = (fields: Record<string, unknown>) =>
    new Promise<void>((resolve, reject) => {
      anySession().deliver_sm(fields, (resp) =>
        resp.command_status === 0
          ? resolve()
          : reject(new Error(`deliver_sm refused (${resp.command_status})`)),
      );
    });
  return {
    url: `smpp://127.0.0.1:${port}`,
    systemId,
    password,
    submits,
    get binds() {
      return state.binds;
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
    get throttle() {
      return state.throttle;
    },
    set throttle(v: boolean) {
      state.throttle = v;
    },
    refuse(status, count = Number.POSITIVE_INFINITY) {
      refusal = { status, count };
    },
    messages() {
      const out: SmscMessage[] = [];
      const open = new Map<string, SmscMessage>();
      for (const s of submits) {
        if (!s.udh) {
          out.push({ destination: s.destination, text: s.text, parts: [s] });
          continue;
        }
        const key = `${s.destination}:${s.udh.ref}:${s.udh.total}`;
        let m = open.get(key);
        if (!m || m.parts.length === s.udh.total) {
          m = { destination: s.destination, text: '', parts: [] };
          open.set(key, m);
          out.push(m);
        }
        m.parts.push(s);
        m.parts.sort((a, b) => (a.udh?.seq ?? 0) - (b.udh?.seq ?? 0));
        m.text = m.parts.map((p) => p.text).join('');
      }
      return out;
    },
    dropLinks() {
      for (const s of sessions) s.socket.destroy();
      sessions.clear();
    },
    bound: () => sessions.size,
    receipt(submit, stat = 'DELIVRD') {
      const now = new Date();
      const d = `${String(now.getUTCFullYear()).slice(2)}${String(now.getUTCMonth() + 1).padStart(2, '0')}${String(now.getUTCDate()).padStart(2, '0')}0000`;
      return push({
        source_addr: submit.destination,
        destination_addr: submit.source,
        esm_class: 0x04,
        short_message: `id:${submit.messageId} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} submit date:${d} done date:${d} stat:${stat} err:000 text:${submit.text.slice(0, 20)}`,
        ...(submit.userMessageReference !== undefined
          ? { user_message_reference: submit.userMessageReference }
          : {}),
      });
    },
    mo(from, text) {
      return push({
        source_addr: from.replace(/^\+/, ''),
        destination_addr: '38000',
        esm_class: 0,
        short_message: text,
      });
    },
    async moParts(from, text, options = {}) {
      const count = options.parts ?? 2;
      const split = options.split ?? 'udh8';
      const ref = options.ref ?? 0x2a;
      const size = Math.ceil(text.length / count);
      for (let seq = 1; seq <= count; seq++) {
        if (options.only && !options.only.includes(seq)) continue;
        const message = text.slice((seq - 1) * size, seq * size);
        const base = { source_addr: from.replace(/^\+/, ''), destination_addr: '38000' };
        if (split === 'sar') {
          await push({
            ...base,
            esm_class: 0,
            short_message: message,
            sar_msg_ref_num: ref,
            sar_total_segments: count,
            sar_segment_seqnum: seq,
          });
        } else {
          const udh =
            split === 'udh8'
              ? Buffer.from([0x05, 0x00, 0x03, ref & 0xff, count, seq])
              : Buffer.from([0x06, 0x08, 0x04, (ref >> 8) & 0xff, ref & 0xff, count, seq]);
          await push({ ...base, esm_class: 0x40, short_message: { udh, message } });
        }
      }
    },
    moLostAck(from, text) {
      owed = {
        source_addr: from.replace(/^\+/, ''),
        destination_addr: '38000',
        esm_class: 0,
        short_message: text,
      };
      const session = anySession();
      return new Promise<void>((resolve) => {
        // Written, then the link goes: whatever the client answers is never read, and the
        // SMSC, which cannot answer any more either, owes the reply.
        sessions.delete(session);
        session.send(new smpp.PDU('deliver_sm', { ...owed }), undefined, () => {
          session.socket.end();
          resolve();
        });
      });
    },
    redeliver() {
      if (!owed) throw new Error('nothing is owed: call moLostAck first');
      return push({ ...owed });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.socket.destroy();
        server.close(() => resolve());
      }),
  };
}
