import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { User } from '../users/user.entity.js';

export const ATTACHMENT_KINDS = ['image', 'video', 'audio', 'file', 'encrypted'] as const;
export type AttachmentKind = (typeof ATTACHMENT_KINDS)[number];

/** PostgreSQL bigint arrives as a string; sizes stay far below 2^53. */
const bigintAsNumber = { to: (value: number) => value, from: (value: string | number) => Number(value) };

/**
 * An uploaded file. Unattached (message_id null) until a message carries it; removed with its message
 * (delete, expiry, erasure) through the foreign keys. A trigger in the migration queues the stored
 * files of every deleted row in `storage_deletions`, so no removal path can forget them.
 */
@Entity('attachments')
@Index('IDX_attachments_message', ['messageId', 'position'])
// The sweep of uploads never attached walks this index.
@Index('IDX_attachments_unattached', ['createdAt'], { where: '"message_id" IS NULL' })
@Index('IDX_attachments_uploader', ['uploaderId'])
@Check('CHK_attachments_kind', `"kind" IN ('image', 'video', 'audio', 'file', 'encrypted')`)
export class Attachment {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'uploader_id', type: 'uuid' })
  uploaderId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'uploader_id', foreignKeyConstraintName: 'FK_attachments_uploader' })
  uploader?: Relation<User>;

  @Column({ name: 'message_id', type: 'uuid', nullable: true })
  messageId: string | null;

  // Named, not imported: the messages module depends on this one, not the other way round.
  @ManyToOne('Message', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'message_id', foreignKeyConstraintName: 'FK_attachments_message' })
  message?: Relation<{ expiresInSeconds: number | null }>;

  /** Order within the message (0-based). */
  @Column({ type: 'smallint', default: 0 })
  position: number;

  /** `encrypted`: an opaque blob of an encrypted conversation, stored as it came (its real type travels in the message). */
  @Column({ type: 'varchar', length: 16 })
  kind: AttachmentKind;

  /** Decided from the file's bytes, never from what the client said. */
  @Column({ name: 'mime_type', type: 'varchar', length: 127 })
  mimeType: string;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  size: number;

  /** The client's file name, sanitised; metadata only. */
  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ type: 'integer', nullable: true })
  width: number | null;

  @Column({ type: 'integer', nullable: true })
  height: number | null;

  @Column({ name: 'duration_seconds', type: 'real', nullable: true })
  durationSeconds: number | null;

  @Column({ name: 'storage_key', type: 'varchar', length: 64 })
  storageKey: string;

  @Column({ name: 'thumbnail_key', type: 'varchar', length: 64, nullable: true })
  thumbnailKey: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** An attachments row as raw SQL (`RETURNING *`, `to_jsonb`) gives it. */
export type AttachmentRow = Record<string, unknown>;

export function attachmentFromRow(row: AttachmentRow): Attachment {
  const nullableNumber = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  return {
    id: row.id as string,
    uploaderId: row.uploader_id as string,
    messageId: (row.message_id as string | null) ?? null,
    position: Number(row.position),
    kind: row.kind as AttachmentKind,
    mimeType: row.mime_type as string,
    size: Number(row.size),
    name: row.name as string,
    width: nullableNumber(row.width),
    height: nullableNumber(row.height),
    durationSeconds: nullableNumber(row.duration_seconds),
    storageKey: row.storage_key as string,
    thumbnailKey: (row.thumbnail_key as string | null) ?? null,
    createdAt: new Date(row.created_at as string),
  };
}
