// The default provider: sends nothing. The Message row is what "was sent" (its provider
// id is log:<message id>, the channel adding the account name as for every provider); the local
// page /sms shows it, so Relais runs offline with SMS flows fully visible.
import type { SmsProvider } from './types.js';

export function logProvider(): SmsProvider {
  return {
    name: 'log',
    kind: 'log',
    async send(message) {
      return { ok: true, providerId: message.messageId, parts: message.parts };
    },
    // Nothing left the machine, so after a crash sending again is harmless.
    async lookup() {
      return { found: false };
    },
  };
}
