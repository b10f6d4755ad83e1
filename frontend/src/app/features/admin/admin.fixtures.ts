import type { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { vi } from 'vitest';
import { AuthStore } from '../../core/auth-store';
import { authResponse } from '../../core/auth-store.fixtures';
import type { AdminUserDto } from '../../../sdk/models/admin-user-dto';
import type { AuditEventDto } from '../../../sdk/models/audit-event-dto';
import type { ErasureCountsDto } from '../../../sdk/models/erasure-counts-dto';
import type { JobRunDto } from '../../../sdk/models/job-run-dto';

/** An account as `GET /api/admin/users` lists it. */
export function adminUser(overrides: Partial<AdminUserDto> = {}): AdminUserDto {
  return {
    id: 'u2',
    username: 'bob',
    displayName: 'Bob Builder',
    avatarVersion: null,
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
    e2eeDevices: 1,
    ...overrides,
  };
}

let seq = 0;

/** A run as `GET /api/admin/jobs` lists it; ids are unique per call. */
export function jobRun(overrides: Partial<JobRunDto> = {}): JobRunDto {
  seq++;
  return {
    id: `r${seq}`,
    job: 'message-expiry',
    startedAt: '2026-03-10T12:00:00.000Z',
    finishedAt: '2026-03-10T12:00:00.040Z',
    rowsAffected: 0,
    error: null,
    ...overrides,
  };
}

/** An erasure in the audit trail. */
export function auditEvent(overrides: Partial<AuditEventDto> = {}): AuditEventDto {
  seq++;
  return {
    id: `e${seq}`,
    action: 'user.erased',
    actorKind: 'admin',
    actorId: 'admin-2',
    details: { ...erasureCounts() },
    createdAt: '2026-03-10T12:00:00.000Z',
    ...overrides,
  };
}

/** Signs in as Ada (id admin-1), an administrator, answering the login request on `http`. */
export async function signInAsAdmin(http: HttpTestingController): Promise<void> {
  const done = TestBed.inject(AuthStore).signIn('ada', 'correct horse battery');
  const response = authResponse('token-1');
  (await vi.waitFor(() => http.expectOne('/api/auth/login'))).flush({
    ...response,
    user: { ...response.user, id: 'admin-1', username: 'ada', displayName: 'Ada', role: 'admin' },
  });
  await done;
}
