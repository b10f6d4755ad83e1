import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { Public } from '../common/public.decorator.js';
import { DatabaseHealth } from '../database/database-health.js';
import { HealthDto } from './dto/health.dto.js';
import { databaseUnavailable } from '../common/errors.js';

const DATABASE_TIMEOUT_MS = 2_000;

@ApiTags('ops')
@Controller('health')
export class HealthController {
  constructor(private readonly database: DatabaseHealth) {}

  /** Liveness and readiness: 200 when the database answers within 2 s, 503 otherwise. */
  @Public()
  @Get()
  @ApiErrors({ 400: ['INVALID_CHARACTERS'], 503: ['DATABASE_UNAVAILABLE'] })
  async check(): Promise<HealthDto> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('database ping timed out')), DATABASE_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.database.ping(), timeout]);
    } catch {
      throw databaseUnavailable();
    } finally {
      clearTimeout(timer);
    }
    return { status: 'ok', database: 'up', uptimeSeconds: Math.round(process.uptime()) };
  }
}
