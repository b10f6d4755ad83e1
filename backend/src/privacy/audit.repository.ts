import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { managerOf, type Tx } from '../database/transaction.js';
import { AuditEvent } from './audit-event.entity.js';

@Injectable()
export class AuditRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async create(tx: Tx, event: Omit<AuditEvent, 'id'>): Promise<void> {
    await managerOf(tx).insert(AuditEvent, event);
  }

  /** Newest first, before the (created_at, id) cursor. */
  list(after: { t: string; id: string } | null, limit: number): Promise<AuditEvent[]> {
    const query = this.dataSource.getRepository(AuditEvent).createQueryBuilder('e').orderBy('e.created_at', 'DESC').addOrderBy('e.id', 'DESC').limit(limit);
    if (after) query.where('(e.created_at, e.id) < (:t::timestamptz, :id::uuid)', after);
    return query.getMany();
  }

  /** Removes a user's id from the events they did. */
  async forgetActor(tx: Tx, actorId: string): Promise<void> {
    await managerOf(tx).query(`UPDATE audit_events SET actor_id = NULL WHERE actor_id = $1`, [actorId]);
  }
}
