// The SMS channel: one sender for the dispatcher that routes each message to its
// organisation's provider account, authenticated webhooks for receipts and replies, the
// SMPP link and OVH polling as background work, the local page that shows what the "log"
// provider sent, and the SMS preview of the API ("2 SMS").
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ConfigError } from '../../config.js';
import { smsRefusal } from '../../domain/phone.js';
import { prepareSms } from '../../domain/sms/index.js';
import { requireToken } from '../../http/auth.js';
import { fromThisMachine } from '../../http/client.js';
import { applyReceipt, replayReceipts } from '../../messaging/receipts.js';
import type {
  ChannelSender,
  OutboundMessage,
  ReconcileResult,
  SendLane,
  SendResult,
} from '../channel.js';
import { defaultCapabilities } from '../channel.js';
import type { ChannelContext, ChannelModule } from '../module.js';
import { createProviders, type ProviderOptions } from './providers/index.js';
import { smppReference } from './providers/smpp.js';
import type { SmsInbound, SmsOutbound, SmsProvider, SmsReceipt } from './providers/types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const page = readFileSync(new URL('./sms.html', import.meta.url), 'utf8');

export interface SmsChannelOptions extends ProviderOptions {
  /** How long organisation settings are cached (ms). */
  organisationTtlMs?: number;
}

export interface SmsChannel extends ChannelModule {
  providers: Map<string, SmsProvider>;
  /** Applies a receipt from a provider (exported for the SMPP link and tests). */
  handleReceipt(provider: SmsProvider, receipt: SmsReceipt): Promise<void>;
  handleInbound(provider: SmsProvider, inbound: SmsInbound): Promise<void>;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function allowList(spec: string | undefined): BlockList | undefined {
  if (!spec) return undefined;
  const list = new BlockList();
  for (const entry of spec.split(',').map((e) => e.trim())) {
    const [ip, bits] = entry.split('/') as [string, string | undefined];
    const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(ip, type);
    else list.addSubnet(ip, Number(bits), type);
  }
  return list;
}

function ipAllowed(list: BlockList | undefined, ip: string): boolean {
  if (!list) return true;
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return list.check(v4, isIP(v4) === 6 ? 'ipv6' : 'ipv4');
}

export function smsChannel(ctx: ChannelContext, options: SmsChannelOptions = {}): SmsChannel {
  const { config, prisma, logger, conversations } = ctx;
  const providers = createProviders(config, { clock: ctx.clock, ...options });
  const ttl = options.organisationTtlMs ?? 30_000;
  const orgCache = new Map<string, { provider: string; at: number }>();
  const allowed = allowList(config.SMS_WEBHOOK_ALLOW_IPS);
  const retryTimers = new Set<NodeJS.Timeout>();

  async function providerOf(organisationId: string): Promise<SmsProvider | string> {
    const now = Date.now();
    let entry = orgCache.get(organisationId);
    if (!entry || now - entry.at > ttl) {
      const org = await prisma.organisation.findUnique({
        where: { id: organisationId },
        select: { smsProvider: true },
      });
      entry = { provider: org?.smsProvider ?? 'log', at: now };
      orgCache.set(organisationId, entry);
    }
    return providers.get(entry.provider) ?? entry.provider;
  }

  const outbound = (m: OutboundMessage): SmsOutbound => ({
    messageId: m.id,
    to: m.address,
    text: m.text,
    encoding: m.encoding === 'UCS-2' ? 'UCS-2' : 'GSM-7',
    parts: m.parts,
  });

  const sender: ChannelSender = {
    id: 'sms',
    capabilities: defaultCapabilities.sms,
    async lane(message): Promise<SendLane> {
      const provider = await providerOf(message.organisationId);
      if (typeof provider === 'string') return { key: `sms:${provider}` };
      return { key: `sms:${provider.name}`, perSecond: provider.ratePerSecond };
    },
    async send(message): Promise<SendResult> {
      const provider = await providerOf(message.organisationId);
      if (typeof provider === 'string') {
        return {
          ok: false,
          kind: 'permanent',
          reason: `SMS provider "${provider}" of this organisation has no credentials in the environment`,
        };
      }
      const refusal = smsRefusal(message.address);
      if (refusal) {
        return { ok: false, kind: 'permanent', reason: `not an SMS number (${refusal})` };
      }
      const result = await provider.send(outbound(message));
      return result.ok
        ? { ...result, providerId: `${provider.name}:${result.providerId}` }
        : result;
    },
    async reconcile(message, claimedAt): Promise<ReconcileResult> {
      const provider = await providerOf(message.organisationId);
      if (typeof provider === 'string') return { sent: false };
      // A receipt that named this message while its send was not recorded.
      const reference =
        provider.kind === 'smpp'
          ? { reference: String(smppReference(message.id)), address: message.address }
          : { reference: message.id };
      const early = await replayReceipts(prisma, reference);
      const named = early.find((r) => r.providerId);
      if (named?.providerId) {
        return {
          sent: true,
          providerId: named.providerId,
          delivered: early.some((r) => r.status === 'delivered'),
        };
      }
      const found = await provider.lookup?.(
        outbound(message),
        new Date(claimedAt.getTime() - 60_000),
      );
      if (!found) return undefined;
      if (!found.found) return { sent: false };
      return {
        sent: true,
        providerId: `${provider.name}:${found.providerId}`,
        delivered: found.status === 'delivered',
      };
    },
  };

  // Receipts that name no known message yet (it is being recorded right now) are tried
  // again a little later; they are stored meanwhile, so a restart loses none.
  async function matchReceipt(
    provider: SmsProvider,
    r: SmsReceipt,
  ): Promise<{ providerId?: string; messageId?: string }> {
    const providerId = r.providerId ? `${provider.name}:${r.providerId}` : undefined;
    if (providerId) {
      const row = await prisma.message.findFirst({
        where: { channel: 'sms', providerId, direction: 'outbound' },
        select: { id: true },
      });
      if (row) return { providerId, messageId: row.id };
    }
    if (r.reference && UUID.test(r.reference)) {
      const row = await prisma.message.findFirst({
        where: { id: r.reference, channel: 'sms', direction: 'outbound' },
        select: { id: true, providerId: true },
      });
      // Our reference is only trusted for a message not already known by another id.
      if (row && (!row.providerId || row.providerId === providerId)) {
        return { providerId, messageId: row.id };
      }
    } else if (provider.kind === 'smpp' && r.reference && r.address) {
      const candidates = await prisma.message.findMany({
        where: {
          channel: 'sms',
          direction: 'outbound',
          identity: { address: r.address },
          OR: [
            // A submit whose answer was lost: known by our reference only.
            { providerId: null, attempts: { gt: 0 }, status: { in: ['sending', 'queued'] } },
            // Another part of a long message, which is known by its first part's id.
            {
              parts: { gt: 1 },
              providerId: { startsWith: `${provider.name}:` },
              sentAt: { gt: new Date(ctx.clock().getTime() - 3 * 86_400_000) },
            },
          ],
        },
        select: { id: true },
        orderBy: { createdAt: 'desc' },
        take: 50,
      });
      const hit = candidates.find((c) => String(smppReference(c.id)) === r.reference);
      if (hit) return { providerId, messageId: hit.id };
    }
    return { providerId };
  }

  async function handleReceipt(provider: SmsProvider, r: SmsReceipt): Promise<void> {
    const match = await matchReceipt(provider, r);
    const input = {
      channel: 'sms' as const,
      provider: provider.name,
      providerId: match.providerId,
      reference: r.reference,
      address: r.address,
      status: r.status,
      detail: r.detail,
      occurredAt: r.occurredAt,
      messageId: match.messageId,
    };
    const outcome = await applyReceipt(prisma, input);
    if (outcome !== 'unmatched') return;
    for (const delay of [2_000, 10_000]) {
      const timer = setTimeout(() => {
        retryTimers.delete(timer);
        void (async () => {
          const again = await matchReceipt(provider, r);
          if (!again.messageId) return;
          const applied = await applyReceipt(
            prisma,
            { ...input, messageId: again.messageId },
            { store: false },
          );
          await prisma.deliveryReceipt.updateMany({
            where: {
              provider: provider.name,
              providerId: input.providerId ?? null,
              messageId: null,
            },
            data: { messageId: again.messageId },
          });
          logger.debug({ messageId: again.messageId, applied }, 'late receipt matched');
        })().catch(() => undefined);
      }, delay);
      timer.unref();
      retryTimers.add(timer);
    }
  }

  async function orgOfAccount(account: string): Promise<string | undefined> {
    const orgs = await prisma.organisation.findMany({
      where: { smsProvider: account },
      select: { id: true },
      take: 2,
    });
    return orgs.length === 1 ? orgs[0]?.id : undefined;
  }

  async function handleInbound(provider: SmsProvider, m: SmsInbound): Promise<void> {
    const outcome = await conversations.handleInbound({
      channel: 'sms',
      address: m.from,
      organisationId: await orgOfAccount(provider.name),
      text: m.text,
      providerMessageId: m.providerMessageId,
      receivedAt: m.receivedAt,
    });
    logger.info({ provider: provider.name, outcome }, 'sms received');
    // The person is waiting for the answer: a dispatcher turn now, not at the next poll.
    ctx.dispatchSoon?.();
  }

  const unauthorised = (
    req: FastifyRequest,
    reply: FastifyReply,
    account: string | undefined,
    why: string,
  ) => {
    // Never the body, never the URL (it may carry a guessed secret).
    logger.warn({ ip: req.ip, account, why }, 'sms webhook refused');
    return reply.code(401).send({ error: 'unauthorised' });
  };

  // Every request under /sms/<account>/ is a webhook call (the local page is /sms and
  // /sms/api/...). Checked as soon as it arrives, before its body is read or routed: a
  // caller without the secret gets 401 whatever it sends (broken JSON, any content type,
  // any path), and learns nothing about the routes.
  const guardWebhooks = async (req: FastifyRequest, reply: FastifyReply) => {
    const path = (req.url.split('?')[0] ?? '').split('/');
    if (path[1] !== 'sms' || path.length < 3 || !path[2] || path[2] === 'api') return;
    let account: string | undefined;
    try {
      account = decodeURIComponent(path[2]);
    } catch {
      return unauthorised(req, reply, undefined, 'path');
    }
    const expected = config.SMS_WEBHOOK_SECRET;
    const secret = path[3] ?? '';
    if (!expected || !sameSecret(secret, expected)) {
      return unauthorised(req, reply, account, 'secret');
    }
    if (!ipAllowed(allowed, req.ip)) {
      return unauthorised(req, reply, account, 'address not allowed');
    }
    if (!providers.get(account)?.parseReceipts) {
      return unauthorised(req, reply, account, 'no such account');
    }
  };

  const webhook = async (req: FastifyRequest, reply: FastifyReply) => {
    const { account, hook } = req.params as { account: string; hook: string };
    // guardWebhooks let it in: the secret, the address and the account are right.
    const provider = providers.get(account) as SmsProvider;
    const call = {
      hook,
      method: req.method,
      query: req.query as Record<string, string | undefined>,
      body: req.body,
    };
    for (const r of provider.parseReceipts?.(call) ?? []) await handleReceipt(provider, r);
    for (const m of provider.parseInbound?.(call) ?? []) await handleInbound(provider, m);
    return reply.code(200).send({ ok: true });
  };

  const localOnly = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!config.WEB_CHAT_ALLOW_REMOTE && !fromThisMachine(req, config.TRUST_PROXY)) {
      return reply.code(403).send({ error: 'the SMS log page only answers on this machine' });
    }
  };

  return {
    id: 'sms',
    sender,
    providers,
    handleReceipt,
    handleInbound,
    routes(server: FastifyInstance) {
      // On the root, so that it also runs for paths no route matches.
      server.addHook('onRequest', guardWebhooks);
      server.register(async (hooks) => {
        // Providers post JSON, forms or nothing: keep whatever comes as it is.
        hooks.addContentTypeParser(
          'application/x-www-form-urlencoded',
          { parseAs: 'string' },
          (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
        );
        hooks.route({
          method: ['GET', 'POST'],
          url: '/sms/:account/:secret/:hook',
          handler: webhook,
        });
      });
      // The secret without a hook: as good as a wrong secret to whoever tries it.
      server.all('/sms/:account/:secret', (req, reply) =>
        unauthorised(req, reply, (req.params as { account: string }).account, 'path'),
      );

      const preview = z.object({ text: z.string().min(1).max(2000) });
      server.post('/api/sms/preview', { preHandler: requireToken(prisma) }, async (req, reply) => {
        const body = preview.safeParse(req.body);
        if (!body.success) return reply.code(400).send({ error: 'expected { text }' });
        const org = await prisma.organisation.findUniqueOrThrow({
          where: { id: req.organisationId as string },
          select: { smsAccents: true },
        });
        const sms = prepareSms(body.data.text, org.smsAccents);
        return {
          text: sms.text,
          encoding: sms.segments.encoding,
          parts: sms.segments.parts,
          characters: sms.segments.units,
          remaining: sms.segments.remaining,
          label: `${sms.segments.parts} SMS`,
          accents: org.smsAccents,
        };
      });

      if (!config.WEB_CHAT) return;
      server.register(async (local) => {
        local.addHook('onRequest', localOnly);
        local.get('/sms', async (_req, reply) => reply.type('text/html; charset=utf-8').send(page));
        local.get('/sms/api/messages', async () => {
          const rows = await prisma.message.findMany({
            where: { channel: 'sms' },
            include: {
              identity: { select: { address: true } },
              organisation: { select: { slug: true, smsProvider: true } },
            },
            orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
            take: 200,
          });
          return rows.reverse().map((m) => ({
            id: m.id,
            direction: m.direction,
            status: m.status,
            number: m.identity?.address ?? null,
            organisation: m.organisation.slug,
            provider: m.organisation.smsProvider,
            text: m.body,
            parts: m.parts,
            encoding: m.encoding,
            purpose: m.purpose,
            notBefore: m.notBefore.toISOString(),
            deferredReason: m.deferredReason,
            failure: m.failureReason,
            createdAt: m.createdAt.toISOString(),
            sentAt: m.sentAt?.toISOString() ?? null,
          }));
        });
        const reply = z.object({
          from: z.string().regex(/^\+\d{6,15}$/),
          text: z.string().min(1).max(1000),
        });
        local.post('/sms/api/inbound', async (req, res) => {
          const body = reply.safeParse(req.body);
          if (!body.success)
            return res.code(400).send({ error: 'expected { from: "+336...", text }' });
          const outcome = await conversations.handleInbound({
            channel: 'sms',
            address: body.data.from,
            text: body.data.text,
            providerMessageId: `log:${randomUUID()}`,
            receivedAt: ctx.clock(),
          });
          ctx.dispatchSoon?.();
          return { outcome };
        });
      });
    },
    async start() {
      // An organisation's chosen provider needs its secrets: refuse to start otherwise.
      const orgs = await prisma.organisation.findMany({
        select: { slug: true, smsProvider: true },
      });
      const problems = orgs
        .filter((o) => !providers.has(o.smsProvider))
        .map(
          (o) =>
            `organisation ${o.slug}: smsProvider "${o.smsProvider}" has no account in the environment (set its variables, see .env.example)`,
        );
      if (problems.length) throw new ConfigError(problems);
      for (const provider of providers.values()) {
        await provider.start?.({
          onReceipt: (r) => handleReceipt(provider, r),
          onInbound: (m) => handleInbound(provider, m),
        });
      }
    },
    async stop() {
      for (const t of retryTimers) clearTimeout(t);
      retryTimers.clear();
      await Promise.all([...providers.values()].map((p) => p.stop?.()));
    },
  };
}
