import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { PageQueryDto } from '../common/page-query.dto.js';
import { DEFAULT_PAGE_SIZE } from '../common/pagination.js';
import { Roles } from '../common/roles.decorator.js';
import { JobRunPageDto } from '../jobs/dto/job-run.dto.js';
import { JobRunsService } from '../jobs/job-runs.service.js';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@ApiErrors({ 401: ['UNAUTHORIZED', 'TOKEN_EXPIRED', 'SESSION_REVOKED'], 403: ['FORBIDDEN'] })
@Controller('admin')
export class AdminController {
  constructor(private readonly jobRunsService: JobRunsService) {}

  /** Recent runs of the background jobs (kept 7 days), newest first. */
  @Get('jobs')
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'INVALID_CURSOR'] })
  jobs(@Query() query: PageQueryDto): Promise<JobRunPageDto> {
    return this.jobRunsService.list(query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }
}
