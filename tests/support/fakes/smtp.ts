// A local SMTP server (smtp-server) on 127.0.0.1 that keeps what it receives and can be
// told to refuse the next recipients with a given reply (451: try later; 550: never).
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  raw: string;
  parsed: ParsedMail;
}

export interface FakeSmtp {
  url: string;
  received: ReceivedMail[];
  /** Refuses every recipient with this reply until ok() is called. */
  fail(code: number, message: string): void;
  ok(): void;
  close(): Promise<void>;
}

export async function startFakeSmtp(): Promise<FakeSmtp> {
  const received: ReceivedMail[] = [];
  let failure: { code: number; message: string } | undefined;
  const server = new SMTPServer({
    // Plain SMTP on loopback: no certificate to trust, no account.
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (!failure) return callback();
      const error = Object.assign(new Error(failure.message), { responseCode: failure.code });
      return callback(error);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw)
          .then((parsed) => {
            received.push({
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((r) => r.address),
              },
              raw,
              parsed,
            });
            callback();
          })
          .catch(callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    fail(code, message) {
      failure = { code, message };
    },
    ok() {
      failure = undefined;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
