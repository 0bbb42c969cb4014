// Builds the provider of every configured account, plus "log".
import type { Config } from '../../../config.js';
import { brevoProvider } from './brevo.js';
import { logProvider } from './log.js';
import { ovhProvider } from './ovh.js';
import { smppProvider } from './smpp.js';
import type { SmsProvider } from './types.js';

export type { SmsProvider } from './types.js';

/** URL path of an account's webhooks: /sms/<account>/<secret>/<hook>. */
export function webhookPath(account: string, secret: string, hook: string): string {
  return `/sms/${encodeURIComponent(account)}/${secret}/${hook}`;
}

export interface ProviderOptions {
  fetch?: typeof fetch;
  ovhPollIntervalMs?: number;
  smppReconnectMs?: number;
  /** How long the SMPP link waits for the missing parts of a long reply. */
  smppReassemblyMs?: number;
  /** The service's clock: when a reply arrived. */
  clock?: () => Date;
}

export function createProviders(
  config: Config,
  options: ProviderOptions = {},
): Map<string, SmsProvider> {
  const providers = new Map<string, SmsProvider>([['log', logProvider()]]);
  const publicUrl = config.PUBLIC_URL?.replace(/\/+$/, '');
  for (const account of Object.values(config.smsAccounts)) {
    if (account.kind === 'brevo') {
      const eventsUrl =
        publicUrl && config.SMS_WEBHOOK_SECRET
          ? `${publicUrl}${webhookPath(account.name, config.SMS_WEBHOOK_SECRET, 'events')}`
          : undefined;
      providers.set(account.name, brevoProvider(account, { eventsUrl, fetch: options.fetch }));
    } else if (account.kind === 'ovh') {
      providers.set(
        account.name,
        ovhProvider(account, { fetch: options.fetch, pollIntervalMs: options.ovhPollIntervalMs }),
      );
    } else {
      providers.set(
        account.name,
        smppProvider(account, {
          reconnectMs: options.smppReconnectMs,
          reassemblyMs: options.smppReassemblyMs,
          clock: options.clock,
        }),
      );
    }
  }
  return providers;
}
