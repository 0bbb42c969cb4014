// What every channel (Telegram, SMS, Slack, email, local web chat) provides to the rest of
// Relais. Channel code never touches flow logic: it renders what it is given and reports
// what came back, in the same channel-neutral shapes for all.
import type { ChannelKind } from '../generated/prisma/client.js';

export interface ChannelCapabilities {
  /** Can show tappable answer buttons. */
  buttons: boolean;
  /** Characters a button label can show. */
  maxChoiceLabel: number;
  richText: boolean;
  /** Each message is billed by segments (SMS). */
  segmentsCost: boolean;
}

export interface OutboundButton {
  label: string;
  /** Opaque data that comes back when the button is pressed. */
  data: string;
}

/** A queued message about to be sent, as the dispatcher hands it to a channel. */
export interface OutboundMessage {
  id: string;
  organisationId: string;
  channel: ChannelKind;
  /** E.164 phone, Telegram chat id, Slack user, email or web session. */
  address: string;
  text: string;
  buttons?: OutboundButton[];
  /** Email: the subject line. */
  subject?: string;
  idempotencyKey: string;
  parts: number;
  /** SMS: 'GSM-7' or 'UCS-2', as prepared at enqueue. */
  encoding?: string | null;
  attempt: number;
}

/** The provider account a message goes through, for rate limits: one queue per key. */
export interface SendLane {
  key: string;
  /** Messages per second this account accepts; undefined: no limit. */
  perSecond?: number;
}

/** After a crash between claim and record, whether the provider took the message. */
export type ReconcileResult =
  | { sent: true; providerId: string; delivered?: boolean }
  | { sent: false }
  /** Cannot tell yet (no receipt, provider cannot be asked). */
  | undefined;

export type SendFailureKind =
  /** Worth retrying later (network, 5xx). */
  | 'transient'
  /** The provider asks to slow down; retry after retryAfterMs. */
  | 'rate_limited'
  /** Never going to work for this message (invalid number, rejected content). */
  | 'permanent'
  /** The address cannot be reached any more (bot blocked, number disconnected). */
  | 'unreachable';

export type SendResult =
  | { ok: true; providerId?: string; parts?: number }
  | {
      ok: false;
      kind: SendFailureKind;
      reason: string;
      retryAfterMs?: number;
      /**
       * The request may have reached the provider (no answer, a cut connection): sending
       * again could send twice, so the message is reconciled first, like after a crash.
       */
      uncertain?: boolean;
    };

export interface ChannelSender {
  id: ChannelKind;
  capabilities: ChannelCapabilities;
  send(message: OutboundMessage): Promise<SendResult>;
  /** Which provider account carries this message (default: one lane per channel). */
  lane?(message: OutboundMessage): SendLane | Promise<SendLane>;
  /** Asked for messages left 'sending' by a crash, before they are sent again. */
  reconcile?(message: OutboundMessage, claimedAt: Date): Promise<ReconcileResult>;
}

/** A message or button press that arrived, verified and normalised by its channel. */
export interface InboundEvent {
  channel: ChannelKind;
  /** Same form as ChannelIdentity.address. */
  address: string;
  /** Set when the channel knows the tenant (an SMS webhook per organisation). */
  organisationId?: string;
  text?: string;
  /** A pressed button's data, as given in OutboundButton.data. */
  buttonData?: string;
  /** A voice note reference for a person to listen to. */
  voiceRef?: string;
  /** The channel's own id of this message: a redelivery is recognised by it. */
  providerMessageId: string;
  receivedAt: Date;
}

export const defaultCapabilities: Record<ChannelKind, ChannelCapabilities> = {
  telegram: { buttons: true, maxChoiceLabel: 32, richText: true, segmentsCost: false },
  slack: { buttons: true, maxChoiceLabel: 75, richText: true, segmentsCost: false },
  web: { buttons: true, maxChoiceLabel: 40, richText: false, segmentsCost: false },
  email: { buttons: false, maxChoiceLabel: 200, richText: true, segmentsCost: false },
  sms: { buttons: false, maxChoiceLabel: 160, richText: false, segmentsCost: true },
};

/** Button data for a flow answer: short enough for Telegram's 64-byte callback limit. */
export function flowButtonData(nodeId: string, choiceId: string): string {
  return `f:${nodeId}:${choiceId}`;
}

export function parseFlowButtonData(
  data: string,
): { nodeId: string; choiceId: string } | undefined {
  const match = /^f:([^:]+):(.+)$/.exec(data);
  return match?.[1] && match[2] ? { nodeId: match[1], choiceId: match[2] } : undefined;
}
