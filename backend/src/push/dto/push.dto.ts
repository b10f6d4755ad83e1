import { Type } from 'class-transformer';
import { Allow, IsObject, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';

export class VapidPublicKeyDto {
  /** The server's VAPID public key (base64url, uncompressed P-256 point): `applicationServerKey` for `pushManager.subscribe`. */
  publicKey: string;
}

export class PushKeysDto {
  /** The browser's P-256 public key, base64url without padding. */
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{87}$/, { message: 'keys.p256dh must be 65 bytes of unpadded base64url' })
  p256dh: string;

  /** The browser's 16-byte authentication secret, base64url without padding. */
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{22}$/, { message: 'keys.auth must be 16 bytes of unpadded base64url' })
  auth: string;
}

/** A browser's `PushSubscription.toJSON()`. */
export class CreatePushSubscriptionDto {
  /** The push service URL: https, on a host the server allows (PUSH_ENDPOINT_HOSTS). */
  @IsString()
  @MaxLength(2048)
  endpoint: string;

  @IsObject()
  @ValidateNested()
  @Type(() => PushKeysDto)
  keys: PushKeysDto;

  /** Sent by browsers, ignored: the server keeps a subscription until the push service says it is gone. */
  @Allow()
  expirationTime?: number | null;
}

export class DeletePushSubscriptionDto {
  @IsString()
  @MaxLength(2048)
  endpoint: string;
}

/**
 * What a push carries, encrypted to the browser (RFC 8291): no sender and no text. `unread` is the
 * user's unread total over all conversations (for the app badge).
 */
export interface PushPayload {
  type: 'message';
  conversationId: string;
  unread: number;
}
