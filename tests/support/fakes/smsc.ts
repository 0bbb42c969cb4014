// A fake SMSC on 127.0.0.1, made with the smpp package's server: bind_transceiver with a
// system id and password, submit_sm answered with a message id, and deliver_sm pushed to
// the bound client: delivery receipts (esm_class 0x04, "id:... stat:DELIVRD", echoing the
// user_message_reference) and replies (MO). It can refuse binds and drop every link (an
// outage), throttle, or accept a submit and cut the link before answering.
import type { AddressInfo } from 'node:net';
import smpp, { type PDU, type Session } from 'smpp';

export interface SmscSubmit {
  messageId: string;
  destination: string;
  source: string;
  text: string;
  dataCoding: number;
  userMessageReference?: number;
  at: number;
}

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
  dropLinks(): void;
  bound(): number;
  receipt(submit: SmscSubmit, stat?: string): Promise<void>;
  mo(from: string, text: string): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeSmsc(): Promise<FakeSmsc> {
  const systemId = 'relais';
  const password = 'secret';
  const submits: SmscSubmit[] = [];
  const sessions = new Set<Session>();
  const state = { down: false, dropAnswers: 0, throttle: false, binds: 0 };
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
      const raw = (pdu.message_payload ?? pdu.short_message) as { message?: string } | string;
      const text = typeof raw === 'string' ? raw : (raw?.message ?? '');
      const submit: SmscSubmit = {
        messageId: `smsc-${nextId++}`,
        destination: String(pdu.destination_addr),
        source: String(pdu.source_addr),
        text,
        dataCoding: Number(pdu.data_coding),
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
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.socket.destroy();
        server.close(() => resolve());
      }),
  };
}
