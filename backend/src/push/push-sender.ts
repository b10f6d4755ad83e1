import { Injectable } from '@nestjs/common';
import webpush from 'web-push';
import { AppConfig } from '../config/app-config.js';
import type { PushPayload } from './dto/push.dto.js';
import { loadVapidKeys, type VapidKeys } from './vapid-keys.js';

/** How long a push service keeps a push for a browser that is offline: a day at most (DESIGN.md §10). */
export const PUSH_TTL_SECONDS = 86_400;
const SEND_TIMEOUT_MS = 10_000;

export interface PushTarget {
  endpoint: string;
  p256dh: string;
  auth: string;
}

/** What the push service answered: `gone` means the subscription no longer exists (404/410). */
export type PushOutcome = 'sent' | 'gone' | 'failed';

/**
 * Encrypts a payload to a subscription (aes128gcm, RFC 8291), signs the request with the server's VAPID
 * key (RFC 8292) and POSTs it. web-push builds the request; fetch sends it, so that an http:// push
 * service on the local network works too where PUSH_ENDPOINT_ALLOW_HTTP allows one.
 */
@Injectable()
export class PushSender {
  private keys: VapidKeys | null = null;

  constructor(private readonly config: AppConfig) {}

  /** Loaded (or generated) on first use, so a server that never pushes never writes a key file. */
  vapidKeys(): VapidKeys {
    this.keys ??= loadVapidKeys(this.config);
    return this.keys;
  }

  async send(target: PushTarget, payload: PushPayload): Promise<{ outcome: PushOutcome; status?: number }> {
    const { publicKey, privateKey, subject } = this.vapidKeys();
    const request = webpush.generateRequestDetails(
      { endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } },
      JSON.stringify(payload),
      {
        vapidDetails: { subject, publicKey, privateKey },
        TTL: PUSH_TTL_SECONDS,
        contentEncoding: 'aes128gcm',
        // A Topic is at most 32 URL-safe characters: a uuid without its dashes. Pushes of one conversation collapse.
        topic: payload.conversationId.replaceAll('-', ''),
        urgency: 'normal',
      },
    );
    try {
      const response = await fetch(request.endpoint, {
        method: request.method,
        headers: request.headers as Record<string, string>,
        body: request.body ?? undefined,
        redirect: 'manual',
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (response.status === 404 || response.status === 410) return { outcome: 'gone', status: response.status };
      return { outcome: response.ok ? 'sent' : 'failed', status: response.status };
    } catch {
      return { outcome: 'failed' };
    }
  }
}
