// How a channel plugs into Relais: a sender for the dispatcher, optional webhook routes,
// optional background work (polling, an SMPP link). app.ts builds the modules from the
// configuration and starts and stops them with the service.
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { ConversationService } from '../conversations/service.js';
import type { DirectSql } from '../db/direct.js';
import type { ChannelKind, PrismaClient } from '../generated/prisma/client.js';
import type { i18n } from '../i18n/index.js';
import type { Logger } from '../logger.js';
import type { ChannelSender } from './channel.js';

export interface ChannelContext {
  config: Config;
  prisma: PrismaClient;
  /** Statements below Prisma, for a channel's own hot path (db/direct.ts). */
  sql: DirectSql;
  conversations: ConversationService;
  clock: Clock;
  logger: Logger;
  i18n: i18n;
  /** Asks for a dispatcher turn now: replies to someone who just wrote should not wait. */
  dispatchSoon?: () => void;
}

export interface ChannelModule {
  id: ChannelKind;
  sender: ChannelSender;
  /** Registers the channel's HTTP routes (webhooks, pages) before the server listens. */
  routes?(server: FastifyInstance): void;
  /** Starts background work once the server listens (long polling, SMSC link). */
  start?(): Promise<void> | void;
  /** Stops it, waiting for work in flight. */
  stop?(): Promise<void>;
}
