// The channels this instance runs, from its configuration. Each channel lives in its own
// folder and exports a factory taking the ChannelContext.
import { emailChannel, emailConfigured } from './email/index.js';
import type { ChannelContext, ChannelModule } from './module.js';
import { smsChannel } from './sms/index.js';
import { telegramChannel } from './telegram/index.js';
import { webChannel } from './web/index.js';

export function createChannels(ctx: ChannelContext): ChannelModule[] {
  const modules: ChannelModule[] = [];
  // The web chat always runs: it is also the channel of the local demo and tests.
  modules.push(webChannel(ctx));
  // SMS always runs too: an organisation without a contract uses the "log" provider.
  modules.push(smsChannel(ctx));
  // Telegram when a bot token is configured (webhook or long polling, see TELEGRAM_MODE).
  if (ctx.config.TELEGRAM_BOT_TOKEN) modules.push(telegramChannel(ctx));
  // Email copies when an SMTP server is configured (SMTP_URL or SMTP_HOST).
  if (emailConfigured(ctx.config)) modules.push(emailChannel(ctx));
  return modules;
}
