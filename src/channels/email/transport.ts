// The SMTP side of the email channel: a pooled nodemailer transport built from the
// environment, and what an SMTP failure means for the dispatcher (4xx: try again later;
// 5xx: this message will never go; no answer at all: try again later).
import nodemailer from 'nodemailer';
import type { Config } from '../../config.js';
import type { SendResult } from '../channel.js';

export type EmailTransport = ReturnType<typeof nodemailer.createTransport>;

/** Whether this instance sends email (SMTP_URL or SMTP_HOST is set). */
export function emailConfigured(config: Config): boolean {
  return Boolean(config.SMTP_URL || config.SMTP_HOST);
}

export function createEmailTransport(config: Config): EmailTransport {
  const common = {
    pool: true as const,
    maxConnections: 2,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    // Nothing in a message may make nodemailer read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  if (config.SMTP_URL) return nodemailer.createTransport({ ...common, url: config.SMTP_URL });
  const port = config.SMTP_PORT ?? 587;
  return nodemailer.createTransport({
    ...common,
    host: config.SMTP_HOST,
    port,
    // TLS from the first byte on 465; STARTTLS otherwise, when the server offers it.
    secure: config.SMTP_SECURE ?? port === 465,
    ...(config.SMTP_USER ? { auth: { user: config.SMTP_USER, pass: config.SMTP_PASSWORD } } : {}),
  });
}

interface SmtpError {
  responseCode?: number;
  code?: string;
  command?: string;
  response?: string;
}

/**
 * The dispatcher's reading of an SMTP failure. The reason names the reply code, its
 * enhanced status (5.1.1...) and the command, never the server's text, which often
 * repeats the address.
 */
export function smtpFailure(error: unknown): Extract<SendResult, { ok: false }> {
  const e = (error ?? {}) as SmtpError;
  const status = /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(e.response ?? '')?.[1];
  const code = e.responseCode;
  const at = e.command ? ` at ${e.command.split(' ')[0]}` : '';
  if (code) {
    const reason = `SMTP ${code}${status ? ` ${status}` : ''}${at}`;
    // 503 is a wrong order of commands (a connection in a bad state), not the message.
    if (code >= 500 && code !== 503) return { ok: false, kind: 'permanent', reason };
    return { ok: false, kind: 'transient', reason };
  }
  if (e.code === 'EENVELOPE') {
    return { ok: false, kind: 'permanent', reason: 'SMTP: the address was refused' };
  }
  return { ok: false, kind: 'transient', reason: `SMTP ${e.code ?? 'error'}${at}` };
}
