// The local web chat: nothing leaves the machine. A message is "sent" when it is stored;
// the chat page reads it from the database.
import type { ChannelSender } from '../channel.js';
import { defaultCapabilities } from '../channel.js';

export const webSender: ChannelSender = {
  id: 'web',
  capabilities: defaultCapabilities.web,
  async send(message) {
    return { ok: true, providerId: `web:${message.id}` };
  },
};
