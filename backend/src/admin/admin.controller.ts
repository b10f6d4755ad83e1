import { Controller, Delete, Get, Param, Query, UseGuards } from '@nestjs/common';
import { AdminTwoFactorGuard } from '../auth/admin-two-factor.guard.js';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { PageQueryDto } from '../common/page-query.dto.js';
import { DEFAULT_PAGE_SIZE } from '../common/pagination.js';
import { Roles } from '../common/roles.decorator.js';
import { JobRunPageDto } from '../jobs/dto/job-run.dto.js';
import { JobRunsService } from '../jobs/job-runs.service.js';
import { type AuthUser, CurrentUser } from '../common/current-user.decorator.js';
import { ParseIdPipe } from '../common/parse-id.pipe.js';
import { AuditService } from '../privacy/audit.service.js';
import { AuditEventPageDto } from '../privacy/dto/audit-event.dto.js';
import { ErasureResultDto } from '../privacy/dto/erasure.dto.js';
import { ErasureService } from '../privacy/erasure.service.js';
import { AdminUsersService } from './admin-users.service.js';
import { AdminUserPageDto, AdminUsersQueryDto, EraseUserQueryDto } from './dto/admin-user.dto.js';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@UseGuards(AdminTwoFactorGuard)
@ApiErrors({ 401: ['UNAUTHORIZED', 'TOKEN_EXPIRED', 'SESSION_REVOKED'], 403: ['FORBIDDEN', 'ADMIN_2FA_REQUIRED'] })
@Controller('admin')
export class AdminController {
  constructor(
    private readonly jobRunsService: JobRunsService,
    private readonly adminUsersService: AdminUsersService,
    private readonly erasureService: ErasureService,
    private readonly auditService: AuditService,
  ) {}

  /** Every account, newest first, with message count, bytes of files and last activity. */
  @Get('users')
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'INVALID_CURSOR'] })
  users(@Query() query: AdminUsersQueryDto): Promise<AdminUserPageDto> {
    return this.adminUsersService.list(query.search, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  /**
   * Erases a user for real (GDPR), like their own `DELETE /api/users/me`; `?dryRun=true` only counts.
   * The last administrator cannot be erased. Recorded in the audit trail without the user's identity.
   */
  @Delete('users/:id')
  @ApiErrors({ 400: ['INVALID_ID', 'VALIDATION_FAILED'], 404: ['USER_NOT_FOUND'], 409: ['LAST_ADMIN'] })
  eraseUser(@CurrentUser() auth: AuthUser, @Param('id', ParseIdPipe) id: string, @Query() query: EraseUserQueryDto): Promise<ErasureResultDto> {
    return this.erasureService.erase(id, { kind: 'admin', id: auth.id }, { dryRun: query.dryRun ?? false });
  }

  /** The audit trail (erasures), newest first. */
  @Get('audit')
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'INVALID_CURSOR'] })
  audit(@Query() query: PageQueryDto): Promise<AuditEventPageDto> {
    return this.auditService.list(query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  /** Recent runs of the background jobs (kept 7 days), newest first. */
  @Get('jobs')
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'INVALID_CURSOR'] })
  jobs(@Query() query: PageQueryDto): Promise<JobRunPageDto> {
    return this.jobRunsService.list(query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }
}
