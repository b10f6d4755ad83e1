import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Role } from '../common/current-user.decorator.js';
import { decodeCursor, toPage } from '../common/pagination.js';
import type { AdminUserDto, AdminUserPageDto } from './dto/admin-user.dto.js';

interface AdminUserRow {
  id: string;
  username: string;
  display_name: string;
  status_message: string;
  role: Role;
  created_at: Date;
  message_count: string;
  attachment_bytes: string;
  last_seen_at: Date | null;
}

@Injectable()
export class AdminUsersService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Every account, newest first, with what it holds; `search` matches part of a username or display name. */
  async list(search: string | undefined, limit: number, cursor?: string): Promise<AdminUserPageDto> {
    const after = cursor ? decodeCursor<{ t: string; id: string }>(cursor, { t: 'timestamp', id: 'uuid' }) : null;
    const pattern = search ? `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
    const rows: AdminUserRow[] = await this.dataSource.query(
      `SELECT u.id, u.username::text AS username, u.display_name, u.status_message, u.role, u.created_at,
              (SELECT count(*) FROM messages m WHERE m.sender_id = u.id) AS message_count,
              (SELECT coalesce(sum(a.size), 0) FROM attachments a WHERE a.uploader_id = u.id) AS attachment_bytes,
              (SELECT max(s.last_used_at) FROM sessions s WHERE s.user_id = u.id) AS last_seen_at
         FROM users u
        WHERE ($1::text IS NULL OR u.username::text ILIKE $1 OR u.display_name ILIKE $1)
          AND ($2::timestamptz IS NULL OR (u.created_at, u.id) < ($2::timestamptz, $3::uuid))
        ORDER BY u.created_at DESC, u.id DESC
        LIMIT $4`,
      [pattern, after?.t ?? null, after?.id ?? null, limit + 1],
    );
    return toPage(rows, limit, toAdminUserDto, (row) => ({ t: new Date(row.created_at).toISOString(), id: row.id }));
  }
}

function toAdminUserDto(row: AdminUserRow): AdminUserDto {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    statusMessage: row.status_message,
    role: row.role,
    createdAt: new Date(row.created_at),
    messageCount: Number(row.message_count),
    attachmentBytes: Number(row.attachment_bytes),
    lastSeenAt: row.last_seen_at ? new Date(row.last_seen_at) : null,
  };
}
