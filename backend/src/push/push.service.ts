import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { createECDH } from 'node:crypto';
import type { EndedSessionRow } from '../auth/sessions.repository.js';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { ConversationsService } from '../conversations/conversations.service.js';
import { Transactions, type Tx } from '../database/transaction.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import type { CreatePushSubscriptionDto, PushPayload, VapidPublicKeyDto } from './dto/push.dto.js';
import { invalidPushEndpoint, invalidPushKeys, pushSubscriptionNotFound } from './errors.js';
import { PushRepository } from './push.repository.js';
import { PushSender } from './push-sender.js';
import { sessionRevoked } from '../auth/errors.js';

/**
 * Web Push to browsers whose tabs are closed (DESIGN.md §10). A push says only that a conversation has
 * a new message and how many are unread: never who wrote or what.
 */
@Injectable()
export class PushService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(PushService.name);
  /** Pushes on their way: a stop waits for them (each is bounded by the sender's timeout) before the pool closes. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly subscriptions: PushRepository,
    private readonly sender: PushSender,
    private readonly transactions: Transactions,
    private readonly conversationsService: ConversationsService,
    private readonly realtime: RealtimeService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  vapidPublicKey(): VapidPublicKeyDto {
    return { publicKey: this.sender.vapidKeys().publicKey };
  }

  /** Stores the browser's subscription as the session's one (replacing an earlier one of the session or of the endpoint). */
  async subscribe(userId: string, sessionId: string, dto: CreatePushSubscriptionDto): Promise<void> {
    this.assertEndpointAllowed(dto.endpoint);
    assertValidKeys(dto.keys.p256dh, dto.keys.auth);
    const target = { endpoint: dto.endpoint, p256dh: dto.keys.p256dh, auth: dto.keys.auth };
    const saved = await this.transactions.run((tx) => this.subscriptions.save(tx, { ...target, sessionId, userId, createdAt: this.clock.now() }));
    if (!saved) throw sessionRevoked();
  }

  /** For an export: where the user's browsers get pushes (the push service's host) and since when; never the keys. */
  async exportOf(userId: string): Promise<{ endpointHost: string; createdAt: Date }[]> {
    return (await this.subscriptions.exportOfUser(userId)).map((row) => ({ endpointHost: new URL(row.endpoint).host, createdAt: row.created_at }));
  }

  async unsubscribe(userId: string, endpoint: string): Promise<void> {
    if (!(await this.subscriptions.deleteOfUser(userId, endpoint))) throw pushSubscriptionNotFound();
  }

  /** A SessionsEndedHook: a signed-out device gets no more pushes. */
  async sessionsEnded(tx: Tx, ended: EndedSessionRow[]): Promise<() => void> {
    await this.subscriptions.deleteOfSessions(
      tx,
      ended.map((session) => session.sessionId),
    );
    return () => undefined;
  }

  /**
   * After a message to `recipientId` committed: pushes to each of their browsers unless they have a
   * socket open somewhere (an open tab notifies by itself) or muted the conversation. Only the instance
   * that stored the message calls this, so each push goes once however many instances run. Never throws.
   */
  messageCreated(recipientId: string, conversationId: string): Promise<void> {
    const push = this.push(recipientId, conversationId).finally(() => this.inFlight.delete(push));
    this.inFlight.add(push);
    return push;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.inFlight);
  }

  private async push(recipientId: string, conversationId: string): Promise<void> {
    try {
      // Presence first: a recipient with a socket open (most, while chatting) costs no query, where
      // presence is in memory, an IPC message or a Redis command; subscriptions are a database query.
      if (await this.realtime.isOnline(recipientId)) return;
      const targets = await this.subscriptions.ofUser(recipientId);
      if (targets.length === 0) return;
      const state = await this.conversationsService.pushState(recipientId, conversationId);
      if (!state || state.muted) return;
      const payload: PushPayload = { type: 'message', conversationId, unread: state.unread };
      await Promise.all(
        targets.map(async (target) => {
          const { outcome, status } = await this.sender.send(target, payload);
          if (outcome === 'gone') await this.subscriptions.deleteGone(target);
          else if (outcome === 'failed') this.logger.warn(`A push service answered ${status ?? 'nothing'}`);
        }),
      );
    } catch (error) {
      this.logger.error(`Could not push: ${(error as Error).message}`);
    }
  }

  private assertEndpointAllowed(endpoint: string): void {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw invalidPushEndpoint();
    }
    const schemeAllowed = url.protocol === 'https:' || (url.protocol === 'http:' && this.config.PUSH_ENDPOINT_ALLOW_HTTP);
    const host = url.hostname.toLowerCase();
    const hostAllowed = this.config.pushEndpointHosts.some((allowed) => host === allowed || host.endsWith(`.${allowed}`));
    // A public push service answers on its default port; other ports of an allowed host stay closed to the
    // server's requests, except for a push service on the operator's own network (PUSH_ENDPOINT_ALLOW_HTTP).
    const portAllowed = url.port === '' || this.config.PUSH_ENDPOINT_ALLOW_HTTP;
    if (!schemeAllowed || !hostAllowed || !portAllowed || url.username !== '' || url.password !== '') throw invalidPushEndpoint();
  }
}

/** p256dh must be a point on P-256 and auth 16 bytes, or no push could ever be encrypted to them. */
function assertValidKeys(p256dh: string, auth: string): void {
  const point = Buffer.from(p256dh, 'base64url');
  if (point.length !== 65 || point[0] !== 0x04 || Buffer.from(auth, 'base64url').length !== 16) throw invalidPushKeys();
  try {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    ecdh.computeSecret(point);
  } catch {
    throw invalidPushKeys();
  }
}
