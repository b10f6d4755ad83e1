import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { managerOf, type Tx } from '../database/transaction.js';
import { ConversationNotice } from './conversation-notice.entity.js';

/** The notices the changes of a conversation's settings leave in its history. */
@Injectable()
export class ConversationNoticesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async add(tx: Tx, notices: Omit<ConversationNotice, 'id'>[]): Promise<void> {
    if (notices.length > 0) await managerOf(tx).insert(ConversationNotice, notices);
  }

  /** Newest first, before the (createdAt, id) key when one is given. */
  page(conversationId: string, before: { t: string; id: string } | null, limit: number): Promise<ConversationNotice[]> {
    const query = this.dataSource
      .getRepository(ConversationNotice)
      .createQueryBuilder('notice')
      .where('notice.conversation_id = :conversationId', { conversationId })
      .orderBy('notice.created_at', 'DESC')
      .addOrderBy('notice.id', 'DESC')
      .limit(limit);
    if (before) query.andWhere('(notice.created_at, notice.id) < (:t::timestamptz, :id::uuid)', before);
    return query.getMany();
  }

  /** Every notice of the conversation, oldest first, for an export. */
  all(conversationId: string): Promise<ConversationNotice[]> {
    return this.dataSource.getRepository(ConversationNotice).find({ where: { conversationId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }
}
