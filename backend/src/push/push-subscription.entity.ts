import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Session } from '../auth/session.entity.js';
import { User } from '../users/user.entity.js';

/** A browser's Web Push subscription, one per signed-in device (session); it goes when the session ends. */
@Entity('push_subscriptions')
export class PushSubscription {
  @PrimaryColumn({ name: 'session_id', type: 'uuid', primaryKeyConstraintName: 'PK_push_subscriptions' })
  sessionId: string;

  @ManyToOne(() => Session, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id', foreignKeyConstraintName: 'FK_push_subscriptions_session' })
  session?: Relation<Session>;

  @Index('IDX_push_subscriptions_user_id')
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_push_subscriptions_user' })
  user?: Relation<User>;

  /** The push service's URL for this browser; a browser has one, whoever is signed in. */
  @Index('UQ_push_subscriptions_endpoint', { unique: true })
  @Column({ type: 'text' })
  endpoint: string;

  /** The browser's P-256 public key (base64url) the payload is encrypted to (RFC 8291). */
  @Column({ type: 'text' })
  p256dh: string;

  /** The browser's 16-byte authentication secret (base64url). */
  @Column({ type: 'text' })
  auth: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
