import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { User } from '../users/user.entity.js';

@Entity('blocks')
@Check('CHK_blocks_not_self', `"blocker_id" <> "blocked_id"`)
export class Block {
  @PrimaryColumn({ name: 'blocker_id', type: 'uuid', primaryKeyConstraintName: 'PK_blocks' })
  blockerId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'blocker_id', foreignKeyConstraintName: 'FK_blocks_blocker' })
  blocker?: Relation<User>;

  @Index('IDX_blocks_blocked_id')
  @PrimaryColumn({ name: 'blocked_id', type: 'uuid', primaryKeyConstraintName: 'PK_blocks' })
  blockedId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'blocked_id', foreignKeyConstraintName: 'FK_blocks_blocked' })
  blocked?: Relation<User>;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
