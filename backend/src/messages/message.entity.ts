import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Conversation, type ExpiryMode } from '../conversations/conversation.entity.js';
import type { EncryptedContent, MessageKind } from '../conversations/dto/message.dto.js';
import { User } from '../users/user.entity.js';

@Entity('messages')
// History pages and unread counts are ranges of this index.
@Index('UQ_messages_conversation_seq', ['conversationId', 'seq'], { unique: true })
// Idempotent sending: one message per sender and client-chosen id.
@Index('UQ_messages_sender_client_id', ['senderId', 'clientId'], { unique: true })
// The expiry sweep walks this index; messages without a timer are not in it.
@Index('IDX_messages_expires_at', ['expiresAt'], { where: '"expires_at" IS NOT NULL' })
@Check('CHK_messages_expiry_mode', `"expiry_mode" IN ('afterSend', 'afterRead')`)
@Check('CHK_messages_kind', `"kind" IN ('message', 'reaction')`)
// Deleting or expiring a message finds its reactions through this index.
@Index('IDX_messages_relates_to', ['relatesTo'], { where: '"relates_to" IS NOT NULL' })
export class Message {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'conversation_id', type: 'uuid' })
  conversationId: string;

  @ManyToOne(() => Conversation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id', foreignKeyConstraintName: 'FK_messages_conversation' })
  conversation?: Relation<Conversation>;

  /** Position in the conversation: 1, 2, 3 … in commit order, never reused. */
  @Column({ type: 'integer' })
  seq: number;

  @Column({ name: 'sender_id', type: 'uuid' })
  senderId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'sender_id', foreignKeyConstraintName: 'FK_messages_sender' })
  sender?: Relation<User>;

  @Column({ name: 'client_id', type: 'uuid' })
  clientId: string;

  /** Null once the message is deleted, and always in an encrypted conversation. */
  @Column({ type: 'text', nullable: true })
  body: string | null;

  /** The Megolm `m.room.encrypted` content, in an encrypted conversation; null once the message is deleted. */
  @Column({ type: 'jsonb', nullable: true })
  ciphertext: EncryptedContent | null;

  /** The sign-in session (the E2EE device) it was sent from; null when the server itself sent it (the seed). */
  @Column({ name: 'sender_device_id', type: 'uuid', nullable: true })
  senderDeviceId: string | null;

  @Column({ type: 'varchar', length: 16, default: 'message' })
  kind: MessageKind;

  /** The message of the same conversation a reaction or reply points at (in the clear, so reactions go with it). */
  @Column({ name: 'relates_to', type: 'uuid', nullable: true })
  relatesTo: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'edited_at', type: 'timestamptz', nullable: true })
  editedAt: Date | null;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @Column({ name: 'expires_in_seconds', type: 'integer', nullable: true })
  expiresInSeconds: number | null;

  @Column({ name: 'expiry_mode', type: 'varchar', length: 16, nullable: true })
  expiryMode: ExpiryMode | null;

  /** When the message stops being served; for `afterRead`, null until the recipient reads it. */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;
}
