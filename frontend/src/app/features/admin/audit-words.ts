import type { AuditEventDto } from '../../../sdk/models/audit-event-dto';
import type { ErasureCountsDto } from '../../../sdk/models/erasure-counts-dto';
import { erasureParts } from './admin-format';

const ERASURE_KEYS: readonly (keyof ErasureCountsDto)[] = [
  'messages',
  'attachments',
  'attachmentBytes',
  'friendships',
  'friendRequests',
  'blocks',
  'sessions',
  'conversations',
];

const ACTIONS: Record<string, string> = {
  'user.erased': 'Account erased',
};

/** "Account erased"; an action this client does not know yet shows as the server names it. */
export function auditAction(event: AuditEventDto): string {
  return ACTIONS[event.action] ?? event.action;
}

/** Someone who acted, as far as the client knows them. */
export interface KnownActor {
  username: string;
  displayName: string;
}

/** Who did it: `myId` is the signed-in admin, `actor` the acting admin's profile once it has been looked up. */
export function auditActor(event: AuditEventDto, myId: string | null, actor: KnownActor | undefined): string {
  switch (event.actorKind) {
    case 'self':
      return 'The account holder, from their settings';
    case 'system':
      return 'The server';
    default:
      // The trail forgets an admin's id when their own account is erased.
      if (event.actorId === null) return 'An administrator whose account has since been erased';
      if (event.actorId === myId) return 'You';
      return actor ? `Administrator ${actor.displayName || actor.username} (@${actor.username})` : 'An administrator';
  }
}

/** The details in a sentence: what an erasure deleted, or the server's key/value pairs. */
export function auditDetails(event: AuditEventDto): string {
  const details = event.details ?? {};
  const extra = Object.entries(details)
    .filter(([key]) => event.action !== 'user.erased' || !(ERASURE_KEYS as readonly string[]).includes(key))
    .map(([key, value]) => `${key}: ${String(value)}`);
  if (event.action !== 'user.erased') return extra.join(', ');
  const parts = erasureParts(details as Partial<ErasureCountsDto>);
  const deleted = parts.length
    ? `Deleted the account with ${parts.join(', ')}.`
    : 'Deleted the account; it had no messages, files, friends or sessions.';
  return extra.length ? `${deleted} ${extra.join(', ')}` : deleted;
}
