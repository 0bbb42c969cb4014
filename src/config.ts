// Every setting Relais reads from the environment, validated in one place. A bad value
// stops start-up with one message listing every problem and the form expected; values of
// secrets are never repeated back.
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], {
    error: 'expected true or false',
  })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const postgresUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\/[^\s]+$/.test(v) && URL.canParse(v), {
    error: 'expected a PostgreSQL URL like postgresql://user:password@host:5432/relais',
  });

const httpUrl = z.string().refine((v) => /^https?:\/\//.test(v) && URL.canParse(v), {
  error: 'expected an http(s) URL like https://relais.example.fr',
});

/** "rdv@cd79.fr" or "Département 79 <rdv@cd79.fr>". */
const MAILBOX = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$|^[^<>]*<[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+>$/;

const secret = (min: number, what: string) =>
  z.string().min(min, { error: `expected ${what} of at least ${min} characters` });

function isIpOrCidr(v: string): boolean {
  const [ip, bits, ...rest] = v.split('/');
  if (rest.length || !ip || isIP(ip) === 0) return false;
  if (bits === undefined) return true;
  const max = isIP(ip) === 4 ? 32 : 128;
  return /^\d+$/.test(bits) && Number(bits) <= max;
}

// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
function isHostName(v: string): boolean {
  return (
    v.length <= 253 &&
    v.split('.').every((label) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label))
  );
}

const positiveRate = z.coerce
  .number({ error: 'expected messages per second, e.g. 20 (0.5 for one every 2 seconds)' })
  .positive({ error: 'expected messages per second, e.g. 20 (0.5 for one every 2 seconds)' })
  .max(10_000, { error: 'expected at most 10000 messages per second' });

// The variables of one SMS provider account. The default account uses them as named; a
// named account adds __<ACCOUNT> (see smsAccounts below).
const smsAccountShape = {
  BREVO_API_KEY: secret(16, 'a Brevo API key').optional(),
  BREVO_API_URL: httpUrl.default('https://api.brevo.com/v3'),
  /** Sender shown on the phone: up to 11 letters and digits. */
  BREVO_SENDER: z
    .string()
    .regex(/^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$|^\d{1,15}$/, {
      error: 'expected up to 11 letters and digits, or up to 15 digits',
    })
    .default('Relais'),
  BREVO_RATE_PER_SECOND: positiveRate.optional(),
  OVH_APPLICATION_KEY: z
    .string()
    .min(8, { error: 'expected an OVHcloud application key' })
    .optional(),
  OVH_APPLICATION_SECRET: secret(16, 'an OVHcloud application secret').optional(),
  OVH_CONSUMER_KEY: secret(16, 'an OVHcloud consumer key').optional(),
  /** The SMS account, e.g. sms-ab12345-1. */
  OVH_SERVICE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]{3,64}$/, { error: 'expected an SMS account name like sms-ab12345-1' })
    .optional(),
  /** Sender name; without it, a short number people can answer (senderForResponse). */
  OVH_SENDER: z
    .string()
    .regex(/^[A-Za-z0-9 ]{1,11}$|^\+?\d{1,15}$/, {
      error: 'expected up to 11 letters and digits, or a number',
    })
    .optional(),
  OVH_ENDPOINT: httpUrl.default('https://eu.api.ovh.com/1.0'),
  OVH_RATE_PER_SECOND: positiveRate.optional(),
  SMPP_URL: z
    .string()
    .refine((v) => /^ss?mpp:\/\/[^\s/]+(:\d+)?\/?$/.test(v) && URL.canParse(v), {
      error: 'expected smpp://host:2775 (or ssmpp:// for TLS)',
    })
    .optional(),
  SMPP_SYSTEM_ID: z.string().min(1).max(15, { error: 'expected at most 15 characters' }).optional(),
  SMPP_PASSWORD: z
    .string()
    .min(1)
    .max(8, { error: 'expected at most 8 characters (SMPP 3.4)' })
    .optional(),
  /** Sender address (a short code, a long number or an alphanumeric name). */
  SMPP_SOURCE_ADDR: z.string().min(1).max(20).optional(),
  SMPP_RATE_PER_SECOND: positiveRate.optional(),
};

const envShape = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'], {
      error: 'expected development, production or test',
    })
    .default('development'),
  PORT: z.coerce
    .number({ error: 'expected a port number from 0 to 65535 (0 picks a free one)' })
    .int({ error: 'expected a port number from 0 to 65535 (0 picks a free one)' })
    .min(0, { error: 'expected a port number from 0 to 65535 (0 picks a free one)' })
    .max(65535, { error: 'expected a port number from 0 to 65535 (0 picks a free one)' })
    .default(3000),
  /** Address the HTTP server listens on: an IP address (0.0.0.0 or :: for all) or a name. */
  HOST: z
    .string()
    .refine((v) => isIP(v) !== 0 || isHostName(v), {
      error:
        'expected an address to listen on: an IP address such as 127.0.0.1, 0.0.0.0 or ::, or a host name such as localhost',
    })
    .default('127.0.0.1'),
  PUBLIC_URL: httpUrl.optional(),
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_POOL_SIZE: z.coerce
    .number({ error: 'expected a whole number from 1 to 100' })
    .int()
    .min(1, { error: 'expected a whole number from 1 to 100' })
    .max(100, { error: 'expected a whole number from 1 to 100' })
    .default(10),
  /** Prepare repeated statements on the server's connections (src/db/prepared.ts). */
  DATABASE_PREPARED_STATEMENTS: bool.default(true),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'expected one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  MIGRATE_ON_START: bool.default(true),
  /** node-cron expression of the scheduler tick (seconds allowed), Europe/Paris time. */
  SCHEDULER_CRON: z
    .string()
    .refine((v) => cron.validate(v), {
      error:
        'expected a cron expression of 5 fields, or 6 with seconds first, e.g. */10 * * * * * (every 10 seconds)',
    })
    .default('*/10 * * * * *'),
  SCHEDULER_ENABLED: bool.default(true),
  DISPATCHER_ENABLED: bool.default(true),
  /** Poll interval of the outbox dispatcher, in milliseconds. */
  DISPATCH_INTERVAL_MS: z.coerce
    .number({ error: 'expected milliseconds, e.g. 1000' })
    .int()
    .min(10, { error: 'expected at least 10 milliseconds' })
    .default(1000),
  /** Load the demo départements into an empty database at start-up. Default: on with
   * the embedded database outside production, off with DATABASE_URL. */
  DEMO_DATA: bool.optional(),
  /** The local web chat page: on by default, and only reachable from loopback. */
  WEB_CHAT: bool.default(true),
  WEB_CHAT_ALLOW_REMOTE: bool.default(false),
  /** Key for the unlinkable response ids of anonymous consultations. */
  ANONYMITY_KEY: secret(32, 'a random string').optional(),
  TELEGRAM_BOT_TOKEN: z
    .string()
    .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, {
      error: 'expected a Bot API token like 123456789:AA... from @BotFather',
    })
    .optional(),
  TELEGRAM_MODE: z
    .enum(['webhook', 'polling'], { error: 'expected webhook or polling' })
    .default('polling'),
  TELEGRAM_WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,256}$/, {
      error: 'expected 16 to 256 characters among A-Z, a-z, 0-9, _ and -',
    })
    .optional(),
  TELEGRAM_API_ROOT: httpUrl.default('https://api.telegram.org'),
  /** Organisation (slug) a newcomer joins with /start and no link; optional with only one. */
  TELEGRAM_ORGANISATION: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, {
      error: 'expected an organisation slug, e.g. deux-sevres',
    })
    .optional(),
  /** Telegram messages per second in total, per instance (Telegram: about 30). */
  TELEGRAM_RATE_PER_SECOND: z.coerce
    .number({ error: 'expected messages per second, e.g. 30' })
    .positive({ error: 'expected messages per second, e.g. 30' })
    .max(1000, { error: 'expected at most 1000 messages per second (paid broadcasts)' })
    .default(30),
  /** Milliseconds between two messages to one chat (Telegram: one a second). */
  TELEGRAM_CHAT_INTERVAL_MS: z.coerce
    .number({ error: 'expected milliseconds, e.g. 1000' })
    .int({ error: 'expected milliseconds, e.g. 1000' })
    .min(0, { error: 'expected milliseconds, e.g. 1000' })
    .max(60_000, { error: 'expected at most 60000 milliseconds' })
    .default(1000),
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xoxb-[A-Za-z0-9-]+$/, { error: 'expected a bot token starting with xoxb-' })
    .optional(),
  SLACK_SIGNING_SECRET: secret(16, 'the signing secret of the Slack app').optional(),
  SLACK_API_URL: httpUrl.default('https://slack.com/api/'),

  // SMS. Each organisation picks its provider (Organisation.smsProvider: "log", "brevo",
  // "ovh", "smpp", or "brevo:<account>" for a département's own contract, whose secrets
  // are the same variables suffixed with __<ACCOUNT>, e.g. BREVO_API_KEY__CD974).
  ...smsAccountShape,
  /** Path secret of the SMS webhooks (receipts and replies): part of their URLs. */
  SMS_WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{24,128}$/, {
      error: 'expected 24 to 128 characters among A-Z, a-z, 0-9, _ and -',
    })
    .optional(),
  /** Addresses allowed to call the SMS webhooks, comma-separated IPs or CIDR blocks. */
  SMS_WEBHOOK_ALLOW_IPS: z
    .string()
    .refine((v) => v.split(',').every((e) => isIpOrCidr(e.trim())), {
      error: 'expected IP addresses or CIDR blocks separated by commas, e.g. 1.179.112.0/20',
    })
    .optional(),
  /**
   * Reverse proxies whose X-Forwarded-For is believed, so that request addresses (the SMS
   * webhook allow-list, the local-only pages) are the client's: comma-separated IPs or
   * CIDR blocks, or loopback, linklocal, uniquelocal. false (default): none.
   */
  TRUST_PROXY: z
    .string()
    .refine(
      (v) =>
        v === 'false' ||
        v
          .split(',')
          .map((e) => e.trim())
          .every((e) => isIpOrCidr(e) || ['loopback', 'linklocal', 'uniquelocal'].includes(e)),
      {
        error:
          'expected false, or the addresses of your reverse proxies separated by commas (IPs or CIDR blocks, e.g. 127.0.0.1 or 10.0.0.0/8; also loopback, linklocal, uniquelocal)',
      },
    )
    .transform((v): false | string[] => (v === 'false' ? false : v.split(',').map((e) => e.trim())))
    .default(false),
  /** Default send rate of one SMS provider account, messages per second, per instance. */
  SMS_RATE_PER_SECOND: positiveRate.default(20),

  // Email: copies of appointment messages (see docs/email.md). Either SMTP_URL, or
  // SMTP_HOST with SMTP_PORT, SMTP_USER and SMTP_PASSWORD; SMTP_FROM is the sender.
  SMTP_URL: z
    .string()
    .refine((v) => /^smtps?:\/\/[^\s/]+(:\d+)?\/?$/.test(v) && URL.canParse(v), {
      error:
        'expected smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465 (TLS)',
    })
    .optional(),
  SMTP_HOST: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$|^[0-9a-fA-F:.]+$/, {
      error: 'expected a host name or IP address, e.g. smtp.departement79.fr',
    })
    .optional(),
  SMTP_PORT: z.coerce
    .number({ error: 'expected a port number, e.g. 587 (STARTTLS) or 465 (TLS)' })
    .int({ error: 'expected a port number, e.g. 587 (STARTTLS) or 465 (TLS)' })
    .min(1, { error: 'expected a port number, e.g. 587 (STARTTLS) or 465 (TLS)' })
    .max(65535, { error: 'expected a port number, e.g. 587 (STARTTLS) or 465 (TLS)' })
    .optional(),
  /** TLS from the first byte (port 465); default: on for 465, STARTTLS otherwise. */
  SMTP_SECURE: bool.optional(),
  SMTP_USER: z.string().min(1).max(256).optional(),
  SMTP_PASSWORD: z.string().min(1).max(256).optional(),
  /** Sender of the emails: an address, or a name and an address. */
  SMTP_FROM: z
    .string()
    .refine((v) => MAILBOX.test(v.trim()), {
      error:
        'expected an address like rdv@departement79.fr, or "Département 79 <rdv@departement79.fr>"',
    })
    .optional(),
  /** Emails per second (the SMTP server's limit); none: no limit. */
  SMTP_RATE_PER_SECOND: positiveRate.optional(),

  // Every channel: when and how often a person may be contacted.
  /** Non-urgent messages only in this local window, Monday to Saturday, not on holidays. */
  QUIET_HOURS: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, {
      error: 'expected a window like 08:00-20:00',
    })
    .default('08:00-20:00'),
  /** Unsolicited contacts a person may get a week across all programmes. */
  CONTACT_PRESSURE_LIMIT: z.coerce
    .number({ error: 'expected a whole number from 1 to 50' })
    .int({ error: 'expected a whole number from 1 to 50' })
    .min(1, { error: 'expected a whole number from 1 to 50' })
    .max(50, { error: 'expected a whole number from 1 to 50' })
    .default(3),
  /** Messages one dispatcher turn claims, and sends in flight at once. */
  DISPATCH_BATCH_SIZE: z.coerce
    .number({ error: 'expected a whole number from 1 to 5000' })
    .int()
    .min(1, { error: 'expected a whole number from 1 to 5000' })
    .max(5000, { error: 'expected a whole number from 1 to 5000' })
    .default(200),
  DISPATCH_CONCURRENCY: z.coerce
    .number({ error: 'expected a whole number from 1 to 256' })
    .int()
    .min(1, { error: 'expected a whole number from 1 to 256' })
    .max(256, { error: 'expected a whole number from 1 to 256' })
    .default(16),
});

// Rules across variables, checked on the raw values so that they are reported together
// with the problems of single variables rather than only once those are fixed.
function crossFieldProblems(raw: Record<string, string>): string[] {
  const problems: string[] = [];
  const mode = raw.TELEGRAM_MODE ?? 'polling';
  if (raw.TELEGRAM_BOT_TOKEN && mode === 'webhook') {
    if (!raw.TELEGRAM_WEBHOOK_SECRET) {
      problems.push(
        'TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_MODE=webhook (Telegram sends it back on every update)',
      );
    }
    if (!raw.PUBLIC_URL) {
      problems.push('PUBLIC_URL: required when TELEGRAM_MODE=webhook (the address Telegram calls)');
    }
  }
  if (Boolean(raw.SLACK_BOT_TOKEN) !== Boolean(raw.SLACK_SIGNING_SECRET)) {
    const missing = raw.SLACK_BOT_TOKEN ? 'SLACK_SIGNING_SECRET' : 'SLACK_BOT_TOKEN';
    problems.push(`${missing}: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET go together`);
  }
  for (const account of smsAccountNames(raw)) problems.push(...smsAccountProblems(raw, account));
  problems.push(...emailProblems(raw));
  if (raw.NODE_ENV === 'production' && !raw.ANONYMITY_KEY) {
    problems.push(
      'ANONYMITY_KEY: required in production (keeps anonymous answers unlinkable; never change it)',
    );
  }
  return problems;
}

// Email: one SMTP server, given as a URL or by its parts, never both.
function emailProblems(raw: Record<string, string>): string[] {
  const problems: string[] = [];
  const parts = ['SMTP_PORT', 'SMTP_SECURE', 'SMTP_USER', 'SMTP_PASSWORD'].filter((k) => raw[k]);
  if (raw.SMTP_URL && (raw.SMTP_HOST || parts.length)) {
    problems.push(
      `SMTP_URL: give either SMTP_URL or SMTP_HOST (with ${parts.length ? parts.join(', ') : 'SMTP_PORT, SMTP_USER, SMTP_PASSWORD'}), not both`,
    );
  } else if (!raw.SMTP_URL && !raw.SMTP_HOST && parts.length) {
    problems.push(`SMTP_HOST: required with ${parts.join(', ')} (the SMTP server)`);
  }
  if (Boolean(raw.SMTP_USER) !== Boolean(raw.SMTP_PASSWORD)) {
    const missing = raw.SMTP_USER ? 'SMTP_PASSWORD' : 'SMTP_USER';
    problems.push(`${missing}: SMTP_USER and SMTP_PASSWORD go together`);
  }
  if (raw.SMTP_URL || raw.SMTP_HOST) {
    if (!raw.SMTP_FROM) {
      problems.push('SMTP_FROM: required with SMTP_URL or SMTP_HOST (the sender of the emails)');
    }
    if (!raw.PUBLIC_URL) {
      problems.push(
        'PUBLIC_URL: required with SMTP_URL or SMTP_HOST (every email carries an unsubscribe link to it)',
      );
    }
  } else if (raw.SMTP_FROM) {
    problems.push('SMTP_URL: SMTP_FROM is set but no SMTP server (SMTP_URL or SMTP_HOST)');
  }
  return problems;
}

// ---------------------------------------------------------------------------------
// SMS provider accounts

export type SmsProviderKind = 'brevo' | 'ovh' | 'smpp';

export type SmsAccount =
  | {
      kind: 'brevo';
      /** "brevo", or "brevo:cd974" for a named account. */
      name: string;
      apiKey: string;
      apiUrl: string;
      sender: string;
      ratePerSecond: number;
    }
  | {
      kind: 'ovh';
      name: string;
      applicationKey: string;
      applicationSecret: string;
      consumerKey: string;
      serviceName: string;
      sender?: string;
      endpoint: string;
      ratePerSecond: number;
    }
  | {
      kind: 'smpp';
      name: string;
      url: string;
      systemId: string;
      password: string;
      sourceAddr?: string;
      ratePerSecond: number;
    };

const ACCOUNT_KEYS: Record<SmsProviderKind, { required: string[]; all: string[] }> = {
  brevo: { required: ['API_KEY'], all: ['API_KEY', 'API_URL', 'SENDER', 'RATE_PER_SECOND'] },
  ovh: {
    required: ['APPLICATION_KEY', 'APPLICATION_SECRET', 'CONSUMER_KEY', 'SERVICE_NAME'],
    all: [
      'APPLICATION_KEY',
      'APPLICATION_SECRET',
      'CONSUMER_KEY',
      'SERVICE_NAME',
      'SENDER',
      'ENDPOINT',
      'RATE_PER_SECOND',
    ],
  },
  smpp: {
    required: ['URL', 'SYSTEM_ID', 'PASSWORD'],
    all: ['URL', 'SYSTEM_ID', 'PASSWORD', 'SOURCE_ADDR', 'RATE_PER_SECOND'],
  },
};

const SUFFIXED = /^(BREVO|OVH|SMPP)_([A-Z_]+?)__([A-Z0-9_]{1,32})$/;

/** "brevo", "ovh:cd974"... for every account some variable mentions. */
function smsAccountNames(raw: Record<string, string>): string[] {
  const names = new Set<string>();
  for (const key of Object.keys(raw)) {
    const suffixed = SUFFIXED.exec(key);
    if (suffixed?.[1] && suffixed[3]) {
      names.add(`${suffixed[1].toLowerCase()}:${suffixed[3].toLowerCase()}`);
      continue;
    }
    for (const kind of Object.keys(ACCOUNT_KEYS) as SmsProviderKind[]) {
      const required = ACCOUNT_KEYS[kind].required;
      if (required.some((k) => key === `${kind.toUpperCase()}_${k}`)) names.add(kind);
    }
  }
  return [...names].sort();
}

function accountVar(account: string, key: string): string {
  const [kind, name] = account.split(':') as [string, string | undefined];
  return `${kind.toUpperCase()}_${key}${name ? `__${name.toUpperCase()}` : ''}`;
}

function smsAccountProblems(raw: Record<string, string>, account: string): string[] {
  const kind = account.split(':')[0] as SmsProviderKind;
  const keys = ACCOUNT_KEYS[kind];
  const problems: string[] = [];
  const missing = keys.required.filter((k) => !raw[accountVar(account, k)]);
  if (missing.length) {
    problems.push(
      `${accountVar(account, missing[0] as string)}: the ${account} SMS account needs ${keys.required
        .map((k) => accountVar(account, k))
        .join(', ')}`,
    );
  }
  if (account.includes(':')) {
    // Named accounts are validated with the same rules as the default one.
    const shape = smsAccountShape as Record<string, z.ZodType>;
    for (const k of keys.all) {
      const value = raw[accountVar(account, k)];
      const rule = shape[`${kind.toUpperCase()}_${k}`];
      if (value === undefined || !rule) continue;
      const r = rule.safeParse(value);
      if (!r.success) {
        problems.push(`${accountVar(account, k)}: ${r.error.issues[0]?.message ?? 'invalid'}`);
      }
    }
  }
  if ((kind === 'brevo' || kind === 'ovh') && !raw.SMS_WEBHOOK_SECRET) {
    problems.push(
      `SMS_WEBHOOK_SECRET: required with the ${account} SMS account (its receipts and replies come to webhooks under this secret)`,
    );
  }
  if ((kind === 'brevo' || kind === 'ovh') && !raw.PUBLIC_URL) {
    problems.push(
      `PUBLIC_URL: required with the ${account} SMS account (the address its receipts and replies are sent to)`,
    );
  }
  return [...new Set(problems)];
}

function buildSmsAccounts(raw: Record<string, string>, env: Env): Record<string, SmsAccount> {
  const accounts: Record<string, SmsAccount> = {};
  const shape = smsAccountShape as Record<string, z.ZodType>;
  for (const account of smsAccountNames(raw)) {
    const kind = account.split(':')[0] as SmsProviderKind;
    // Parsed values: defaults apply to named accounts too.
    const get = (k: string): unknown => {
      const value = raw[accountVar(account, k)];
      const rule = shape[`${kind.toUpperCase()}_${k}`];
      return rule ? rule.parse(value) : value;
    };
    const rate = (get('RATE_PER_SECOND') as number | undefined) ?? env.SMS_RATE_PER_SECOND;
    if (kind === 'brevo') {
      accounts[account] = {
        kind,
        name: account,
        apiKey: get('API_KEY') as string,
        apiUrl: (get('API_URL') as string).replace(/\/+$/, ''),
        sender: get('SENDER') as string,
        ratePerSecond: rate,
      };
    } else if (kind === 'ovh') {
      accounts[account] = {
        kind,
        name: account,
        applicationKey: get('APPLICATION_KEY') as string,
        applicationSecret: get('APPLICATION_SECRET') as string,
        consumerKey: get('CONSUMER_KEY') as string,
        serviceName: get('SERVICE_NAME') as string,
        sender: get('SENDER') as string | undefined,
        endpoint: (get('ENDPOINT') as string).replace(/\/+$/, ''),
        ratePerSecond: rate,
      };
    } else {
      accounts[account] = {
        kind,
        name: account,
        url: get('URL') as string,
        systemId: get('SYSTEM_ID') as string,
        password: get('PASSWORD') as string,
        sourceAddr: get('SOURCE_ADDR') as string | undefined,
        ratePerSecond: rate,
      };
    }
  }
  return accounts;
}

type Env = z.output<typeof envShape>;

export interface Config extends Omit<Env, 'DATA_DIR' | 'DEMO_DATA'> {
  /** Absolute path. */
  DATA_DIR: string;
  DEMO_DATA: boolean;
  /** SMS provider accounts with their secrets, by name ("brevo", "ovh:cd974"...). */
  smsAccounts: Record<string, SmsAccount>;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Relais cannot start: the configuration has ${problems.length} problem${
        problems.length > 1 ? 's' : ''
      }:\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee .env.example for every setting and its form.`,
    );
    this.name = 'ConfigError';
  }
}

/** Reads the configuration, or throws a ConfigError naming every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  // An empty variable means "not set", as in most .env files.
  const present: Record<string, string> = {};
  for (const key of Object.keys(env)) {
    const value = env[key];
    if (value === undefined || value === '') continue;
    if (key in envShape.shape || SUFFIXED.test(key)) present[key] = value;
  }
  const parsed = envShape.safeParse(present);
  // Our messages never include the received value, so secrets stay unprinted.
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  problems.push(...crossFieldProblems(present));
  if (!parsed.success || problems.length) throw new ConfigError(problems);
  const dataDir = parsed.data.DATA_DIR;
  return {
    ...parsed.data,
    DATA_DIR: isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir),
    DEMO_DATA:
      parsed.data.DEMO_DATA ?? (!parsed.data.DATABASE_URL && parsed.data.NODE_ENV !== 'production'),
    smsAccounts: buildSmsAccounts(present, parsed.data),
  };
}
