import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { decodeCursor, toPage } from '../common/pagination.js';
import type { Tx } from '../database/transaction.js';
import type { AuditEvent } from './audit-event.entity.js';
import { AuditRepository } from './audit.repository.js';
import { type AuditEventPageDto, toAuditEventDto } from './dto/audit-event.dto.js';

export type AuditActor = { kind: 'self' } | { kind: 'admin'; id: string } | { kind: 'system' };

@Injectable()
export class AuditService {
  constructor(
    private readonly audit: AuditRepository,
    private readonly clock: Clock,
  ) {}

  /** Records an event inside the transaction, so it commits (or not) with what it describes. */
  async record(tx: Tx, action: string, actor: AuditActor, details: AuditEvent['details']): Promise<void> {
    await this.audit.create(tx, {
      action,
      actorKind: actor.kind,
      actorId: actor.kind === 'admin' ? actor.id : null,
      details,
      createdAt: this.clock.now(),
    });
  }

  /** An erased admin's id must not survive in the trail of what they did either. */
  forgetActor(tx: Tx, actorId: string): Promise<void> {
    return this.audit.forgetActor(tx, actorId);
  }

  /** Newest first. */
  async list(limit: number, cursor?: string): Promise<AuditEventPageDto> {
    const after = cursor ? decodeCursor<{ t: string; id: string }>(cursor, { t: 'timestamp', id: 'uuid' }) : null;
    const events = await this.audit.list(after, limit + 1);
    return toPage(events, limit, toAuditEventDto, (event) => ({ t: event.createdAt.toISOString(), id: event.id }));
  }
}
