import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../common/clock.js';
import { decodeCursor, toPage } from '../common/pagination.js';
import { AuditEvent } from './audit-event.entity.js';
import { type AuditEventPageDto, toAuditEventDto } from './dto/audit-event.dto.js';

export type AuditActor = { kind: 'self' } | { kind: 'admin'; id: string } | { kind: 'system' };

@Injectable()
export class AuditService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** Records an event; pass the transaction's manager so it commits (or not) with what it describes. */
  async record(manager: EntityManager, action: string, actor: AuditActor, details: AuditEvent['details']): Promise<void> {
    await manager.insert(AuditEvent, {
      action,
      actorKind: actor.kind,
      actorId: actor.kind === 'admin' ? actor.id : null,
      details,
      createdAt: this.clock.now(),
    });
  }

  /** Newest first. */
  async list(limit: number, cursor?: string): Promise<AuditEventPageDto> {
    const after = cursor ? decodeCursor<{ t: string; id: string }>(cursor, { t: 'timestamp', id: 'uuid' }) : null;
    const query = this.dataSource
      .getRepository(AuditEvent)
      .createQueryBuilder('e')
      .orderBy('e.created_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .limit(limit + 1);
    if (after) query.where('(e.created_at, e.id) < (:t::timestamptz, :id::uuid)', after);
    return toPage(await query.getMany(), limit, toAuditEventDto, (event) => ({ t: event.createdAt.toISOString(), id: event.id }));
  }
}
