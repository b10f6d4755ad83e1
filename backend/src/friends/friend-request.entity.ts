import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { User } from '../users/user.entity.js';

/** A pending request; accepting, declining or cancelling deletes it. */
@Entity('friend_requests')
@Index('UQ_friend_requests_pair', ['fromUserId', 'toUserId'], { unique: true })
@Check('CHK_friend_requests_not_self', `"from_user_id" <> "to_user_id"`)
export class FriendRequest {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'from_user_id', type: 'uuid' })
  fromUserId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'from_user_id', foreignKeyConstraintName: 'FK_friend_requests_from' })
  from?: Relation<User>;

  @Index('IDX_friend_requests_to_user_id')
  @Column({ name: 'to_user_id', type: 'uuid' })
  toUserId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'to_user_id', foreignKeyConstraintName: 'FK_friend_requests_to' })
  to?: Relation<User>;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
