import type { AdminUserDto } from '../../../sdk/models/admin-user-dto';
import type { ErasureCountsDto } from '../../../sdk/models/erasure-counts-dto';

/** An account as `GET /api/admin/users` lists it. */
export function adminUser(overrides: Partial<AdminUserDto> = {}): AdminUserDto {
  return {
    id: 'u2',
    username: 'bob',
    displayName: 'Bob Builder',
    statusMessage: '',
    role: 'user',
    createdAt: '2026-03-03T10:00:00.000Z',
    messageCount: 1234,
    attachmentBytes: 3_565_158,
    lastSeenAt: null,
    ...overrides,
  };
}

export function erasureCounts(overrides: Partial<ErasureCountsDto> = {}): ErasureCountsDto {
  return {
    messages: 1234,
    attachments: 12,
    attachmentBytes: 3_565_158,
    friendships: 5,
    friendRequests: 0,
    blocks: 1,
    sessions: 2,
    conversations: 4,
    ...overrides,
  };
}
