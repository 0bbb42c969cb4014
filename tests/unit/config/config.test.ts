import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv/relais');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('configuration', () => {
  it('has defaults that run locally with nothing set', () => {
    const config = loadConfig({}, '/srv/relais');
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      DATA_DIR: '/srv/relais/data',
      LOG_LEVEL: 'info',
      WEB_CHAT: true,
      WEB_CHAT_ALLOW_REMOTE: false,
    });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('reads a full production environment', () => {
    const config = loadConfig(
      {
        NODE_ENV: 'production',
        PORT: '8080',
        HOST: '0.0.0.0',
        DATABASE_URL: 'postgresql://relais:pw@db.internal:5432/relais',
        DATA_DIR: '/var/lib/relais',
        ANONYMITY_KEY: 'k'.repeat(40),
        TELEGRAM_BOT_TOKEN: '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ',
        TELEGRAM_MODE: 'webhook',
        TELEGRAM_WEBHOOK_SECRET: 'a-long-webhook-secret',
        PUBLIC_URL: 'https://relais.example.fr',
        WEB_CHAT: 'false',
        LOG_LEVEL: '',
      },
      '/',
    );
    expect(config).toMatchObject({
      PORT: 8080,
      DATA_DIR: '/var/lib/relais',
      WEB_CHAT: false,
      TELEGRAM_MODE: 'webhook',
      // An empty variable counts as unset.
      LOG_LEVEL: 'info',
    });
  });

  it('rejects a bad environment naming every problem at once, secrets unprinted', () => {
    const secretToken = '123456:SECRET-VALUE-THAT-MUST-NOT-LEAK';
    const env = {
      PORT: 'eighty',
      DATABASE_URL: 'mysql://root@localhost/relais',
      LOG_LEVEL: 'loud',
      WEB_CHAT: 'maybe',
      TELEGRAM_BOT_TOKEN: secretToken,
      TELEGRAM_MODE: 'webhook',
      SLACK_SIGNING_SECRET: 'a-signing-secret-1234',
      NODE_ENV: 'production',
    };
    const problems = problemsOf(env);
    expect(problems).toEqual([
      'PORT: expected a port number from 0 to 65535 (0 picks a free one)',
      'DATABASE_URL: expected a PostgreSQL URL like postgresql://user:password@host:5432/relais',
      'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent',
      'WEB_CHAT: expected true or false',
      'TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_MODE=webhook (Telegram sends it back on every update)',
      'PUBLIC_URL: required when TELEGRAM_MODE=webhook (the address Telegram calls)',
      'SLACK_BOT_TOKEN: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET go together',
      'ANONYMITY_KEY: required in production (keeps anonymous answers unlinkable; never change it)',
    ]);
    const message = (() => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(message).toContain('8 problems');
    expect(message).toContain('.env.example');
    expect(message).not.toContain('SECRET-VALUE');
    expect(message).not.toContain('a-signing-secret-1234');
  });

  it('lists a bad HOST and a bad SCHEDULER_CRON with the other problems', () => {
    expect(
      problemsOf({ HOST: 'http://0.0.0.0', SCHEDULER_CRON: '*/10 * * *', PORT: '-1' }),
    ).toEqual([
      'PORT: expected a port number from 0 to 65535 (0 picks a free one)',
      'HOST: expected an address to listen on: an IP address such as 127.0.0.1, 0.0.0.0 or ::, or a host name such as localhost',
      'SCHEDULER_CRON: expected a cron expression of 5 fields, or 6 with seconds first, e.g. */10 * * * * * (every 10 seconds)',
    ]);
    for (const host of ['[::1]', '127.0.0.1:3000', 'relais internal', '-relais', 'a..b']) {
      expect(problemsOf({ HOST: host })[0]).toMatch(/^HOST: /);
    }
    for (const expression of ['every minute', '61 * * * *', '* * * * * * *', '0 0 32 * *']) {
      expect(problemsOf({ SCHEDULER_CRON: expression })[0]).toMatch(/^SCHEDULER_CRON: /);
    }
  });

  it('accepts the usual HOST and SCHEDULER_CRON forms', () => {
    for (const host of ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost', 'relais-app.internal']) {
      expect(loadConfig({ HOST: host }).HOST).toBe(host);
    }
    for (const expression of ['*/10 * * * * *', '*/5 * * * *', '0 8-20 * * 1-6']) {
      expect(loadConfig({ SCHEDULER_CRON: expression }).SCHEDULER_CRON).toBe(expression);
    }
  });

  it('names a malformed token without repeating it', () => {
    const problems = problemsOf({ TELEGRAM_BOT_TOKEN: 'not-a-token-pw123' });
    expect(problems).toEqual([
      'TELEGRAM_BOT_TOKEN: expected a Bot API token like 123456789:AA... from @BotFather',
    ]);
  });
});

describe('SMS configuration', () => {
  const webhook = { SMS_WEBHOOK_SECRET: 'w'.repeat(32), PUBLIC_URL: 'https://relais.example.fr' };

  it('has no SMS account with nothing set (every organisation uses the log provider)', () => {
    const config = loadConfig({}, '/srv/relais');
    expect(config.smsAccounts).toEqual({});
    expect(config.SMS_RATE_PER_SECOND).toBe(20);
    expect(config.QUIET_HOURS).toBe('08:00-20:00');
    expect(config.CONTACT_PRESSURE_LIMIT).toBe(3);
  });

  it('reads default and named accounts, with per-account rates', () => {
    const config = loadConfig(
      {
        ...webhook,
        SMS_RATE_PER_SECOND: '30',
        BREVO_API_KEY: 'xkeysib-0123456789abcdef',
        BREVO_API_KEY__CD974: 'xkeysib-fedcba9876543210',
        BREVO_SENDER__CD974: 'CD974',
        BREVO_RATE_PER_SECOND__CD974: '5',
        SMPP_URL: 'smpp://127.0.0.1:2775',
        SMPP_SYSTEM_ID: 'relais',
        SMPP_PASSWORD: 'secret',
      },
      '/',
    );
    expect(Object.keys(config.smsAccounts)).toEqual(['brevo', 'brevo:cd974', 'smpp']);
    expect(config.smsAccounts.brevo).toMatchObject({
      kind: 'brevo',
      sender: 'Relais',
      ratePerSecond: 30,
      apiUrl: 'https://api.brevo.com/v3',
    });
    expect(config.smsAccounts['brevo:cd974']).toMatchObject({
      apiKey: 'xkeysib-fedcba9876543210',
      sender: 'CD974',
      ratePerSecond: 5,
    });
    expect(config.smsAccounts.smpp).toMatchObject({ kind: 'smpp', systemId: 'relais' });
  });

  it('lists incomplete accounts, missing webhook secret and bad values together', () => {
    const secret = 'ovh-secret-value-must-not-leak';
    const problems = problemsOf({
      OVH_APPLICATION_KEY: 'appkey123',
      OVH_APPLICATION_SECRET: secret,
      BREVO_API_KEY__CD974: 'xkeysib-fedcba9876543210',
      BREVO_SENDER__CD974: 'far too long a sender',
      SMPP_URL: 'http://smsc',
      SMS_WEBHOOK_ALLOW_IPS: '10.0.0.0/8, nowhere',
      SMS_RATE_PER_SECOND: '0',
    });
    expect(problems).toEqual([
      'SMPP_URL: expected smpp://host:2775 (or ssmpp:// for TLS)',
      'SMS_WEBHOOK_ALLOW_IPS: expected IP addresses or CIDR blocks separated by commas, e.g. 1.179.112.0/20',
      'SMS_RATE_PER_SECOND: expected messages per second, e.g. 20 (0.5 for one every 2 seconds)',
      'BREVO_SENDER__CD974: expected up to 11 letters and digits, or up to 15 digits',
      'SMS_WEBHOOK_SECRET: required with the brevo:cd974 SMS account (its receipts and replies come to webhooks under this secret)',
      'PUBLIC_URL: required with the brevo:cd974 SMS account (the address its receipts and replies are sent to)',
      'OVH_CONSUMER_KEY: the ovh SMS account needs OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET, OVH_CONSUMER_KEY, OVH_SERVICE_NAME',
      'SMS_WEBHOOK_SECRET: required with the ovh SMS account (its receipts and replies come to webhooks under this secret)',
      'PUBLIC_URL: required with the ovh SMS account (the address its receipts and replies are sent to)',
      'SMPP_SYSTEM_ID: the smpp SMS account needs SMPP_URL, SMPP_SYSTEM_ID, SMPP_PASSWORD',
    ]);
    expect(problems.join('\n')).not.toContain(secret);
  });
});
