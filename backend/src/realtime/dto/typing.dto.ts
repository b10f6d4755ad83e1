import { IsUUID } from 'class-validator';

/** Client → server `typing`: the user is typing in this conversation. Send it again every few seconds while typing. */
export class TypingDto {
  @IsUUID()
  conversationId: string;
}

/** Server → client `typing`: the peer is typing; show it until `expiresAt` unless another `typing` or their message arrives. */
export class TypingEventDto {
  conversationId: string;
  userId: string;
  expiresAt: Date;
  /** The same deadline as a duration, for clients whose clock differs from the server's. */
  ttlSeconds: number;
}
