// The SMTP settings: one server, as a URL or by its parts, a sender, and a public address
// for the unsubscribe links; every problem named at once, no secret repeated.
import { describe, expect, it } from 'vitest';
import { smtpFailure } from '../../../src/channels/email/transport.js';
import { type ConfigError, loadConfig } from '../../../src/config.js';

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    return (error as ConfigError).problems;
  }
};

describe('email configuration', () => {
  it('takes a URL or host and port, with a sender and a public URL', () => {
    const url = loadConfig({
      SMTP_URL: 'smtps://relais:s3cret@smtp.cd79.fr:465',
      SMTP_FROM: 'Département 79 <rdv@cd79.fr>',
      PUBLIC_URL: 'https://rdv.cd79.fr',
    });
    expect(url.SMTP_URL).toBe('smtps://relais:s3cret@smtp.cd79.fr:465');
    const parts = loadConfig({
      SMTP_HOST: 'smtp.cd79.fr',
      SMTP_PORT: '587',
      SMTP_USER: 'relais',
      SMTP_PASSWORD: 's3cret',
      SMTP_FROM: 'rdv@cd79.fr',
      PUBLIC_URL: 'https://rdv.cd79.fr',
    });
    expect(parts).toMatchObject({ SMTP_HOST: 'smtp.cd79.fr', SMTP_PORT: 587 });
  });

  it('names every problem, never the password', () => {
    const got = problems({
      SMTP_URL: 'http://smtp.cd79.fr',
      SMTP_HOST: 'smtp.cd79.fr',
      SMTP_PASSWORD: 'hunter2-secret',
      SMTP_FROM: 'not an address',
    });
    expect(got).toEqual([
      'SMTP_URL: expected smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465 (TLS)',
      'SMTP_FROM: expected an address like rdv@departement79.fr, or "Département 79 <rdv@departement79.fr>"',
      'SMTP_URL: give either SMTP_URL or SMTP_HOST (with SMTP_PASSWORD), not both',
      'SMTP_USER: SMTP_USER and SMTP_PASSWORD go together',
      'PUBLIC_URL: required with SMTP_URL or SMTP_HOST (every email carries an unsubscribe link to it)',
    ]);
    expect(got.join('\n')).not.toContain('hunter2');
    expect(problems({ SMTP_HOST: 'smtp.cd79.fr', PUBLIC_URL: 'https://rdv.cd79.fr' })).toEqual([
      'SMTP_FROM: required with SMTP_URL or SMTP_HOST (the sender of the emails)',
    ]);
    expect(problems({ SMTP_PORT: '587' })).toEqual([
      'SMTP_HOST: required with SMTP_PORT (the SMTP server)',
    ]);
  });

  it('reads SMTP failures: 4xx later, 5xx never, no answer later', () => {
    expect(
      smtpFailure({ responseCode: 451, command: 'RCPT TO', response: '451 4.3.0 busy' }),
    ).toEqual({
      ok: false,
      kind: 'transient',
      reason: 'SMTP 451 4.3.0 at RCPT',
    });
    expect(smtpFailure({ responseCode: 550, response: '550 5.1.1 <x@y.fr> unknown' })).toEqual({
      ok: false,
      kind: 'permanent',
      reason: 'SMTP 550 5.1.1',
    });
    expect(smtpFailure({ responseCode: 503 }).kind).toBe('transient');
    expect(smtpFailure({ code: 'ECONNECTION' })).toEqual({
      ok: false,
      kind: 'transient',
      reason: 'SMTP ECONNECTION',
    });
  });
});
