// Structured JSON logs. Personal data stays out: whatever the call site passes, the
// fields that can hold a phone number, an address or a message text are censored, and
// requests are logged by route pattern, not by URL (webhook URLs can carry secrets).
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

const personalFields = [
  'phone',
  'to',
  'from',
  'address',
  'email',
  'body',
  'text',
  'input',
  'token',
  'secret',
];

export const redactPaths = [
  ...personalFields,
  ...personalFields.map((f) => `*.${f}`),
  'req.headers.authorization',
  'req.headers["x-telegram-bot-api-secret-token"]',
  'req.headers.cookie',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'relais' },
      redact: { paths: redactPaths, censor: '[redacted]' },
      serializers: {
        req: (req: { method?: string; routeOptions?: { url?: string }; id?: string }) => ({
          method: req.method,
          route: req.routeOptions?.url ?? '(no route)',
          id: req.id,
        }),
        err: pino.stdSerializers.err,
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
