import type { AuditEvent } from '../audit-event.entity.js';

export class AuditEventDto {
  id: string;
  /** e.g. `user.erased`. */
  action: string;
  /** `self` (users erasing their own account), `admin` or `system`. */
  actorKind: 'self' | 'admin' | 'system';
  /** The acting admin, while their account exists. */
  actorId: string | null;
  /** Counts only; never who the subject was. */
  details: Record<string, number | boolean | string>;
  createdAt: Date;
}

export class AuditEventPageDto {
  items: AuditEventDto[];
  nextCursor: string | null;
}

export function toAuditEventDto(event: AuditEvent): AuditEventDto {
  return {
    id: event.id,
    action: event.action,
    actorKind: event.actorKind,
    actorId: event.actorId,
    details: event.details,
    createdAt: event.createdAt,
  };
}
