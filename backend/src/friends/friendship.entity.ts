import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { User } from '../users/user.entity.js';

/** One direction of a friendship; every friendship is stored as two rows, written and removed together. */
@Entity('friendships')
@Check('CHK_friendships_not_self', `"user_id" <> "friend_id"`)
export class Friendship {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'PK_friendships' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_friendships_user' })
  user?: Relation<User>;

  @Index('IDX_friendships_friend_id')
  @PrimaryColumn({ name: 'friend_id', type: 'uuid', primaryKeyConstraintName: 'PK_friendships' })
  friendId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'friend_id', foreignKeyConstraintName: 'FK_friendships_friend' })
  friend?: Relation<User>;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
