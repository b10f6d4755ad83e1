import { Injectable } from '@nestjs/common';
import { decodeCursor, toPage } from '../common/pagination.js';
import { type AdminUserRow, UsersService } from '../users/users.service.js';
import type { AdminUserDto, AdminUserPageDto } from './dto/admin-user.dto.js';

@Injectable()
export class AdminUsersService {
  constructor(private readonly usersService: UsersService) {}

  /** Every account, newest first, with what it holds; `search` matches part of a username or display name. */
  async list(search: string | undefined, limit: number, cursor?: string): Promise<AdminUserPageDto> {
    const after = cursor ? decodeCursor<{ t: string; id: string }>(cursor, { t: 'timestamp', id: 'uuid' }) : null;
    const pattern = search ? `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
    const rows = await this.usersService.adminList(pattern, after, limit + 1);
    return toPage(rows, limit, toAdminUserDto, (row) => ({ t: new Date(row.created_at).toISOString(), id: row.id }));
  }
}

function toAdminUserDto(row: AdminUserRow): AdminUserDto {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    avatarVersion: row.avatar_id,
    statusMessage: row.status_message,
    role: row.role,
    createdAt: new Date(row.created_at),
    messageCount: Number(row.message_count),
    attachmentBytes: Number(row.attachment_bytes),
    lastSeenAt: row.last_seen_at ? new Date(row.last_seen_at) : null,
  };
}
