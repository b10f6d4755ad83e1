import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { type AuthUser, CurrentUser } from '../common/current-user.decorator.js';
import {
  BackupKeysDto,
  BackupKeysPageDto,
  BackupKeysPageQueryDto,
  BackupKeysQueryDto,
  BackupKeysResponseDto,
  BackupVersionCreateDto,
  BackupVersionCreatedDto,
  BackupVersionDto,
  BackupVersionParamDto,
  KeyBackupDataDto,
} from './dto/key-backup.dto.js';
import { EmptyResponseDto } from './dto/to-device.dto.js';
import { KeyBackupService } from './key-backup.service.js';

/** Matrix-shaped key backup: Megolm sessions encrypted to a key whose private half (the recovery key) stays with the user. */
@ApiTags('e2ee')
@ApiBearerAuth()
@ApiExtraModels(KeyBackupDataDto)
@ApiErrors({ 401: ['UNAUTHORIZED', 'TOKEN_EXPIRED', 'SESSION_REVOKED'] })
@Controller('e2ee/room_keys')
export class KeyBackupController {
  constructor(private readonly keyBackupService: KeyBackupService) {}

  /** Starts a new backup (replacing any earlier one and its keys). */
  @Post('version')
  @HttpCode(HttpStatus.OK)
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'INVALID_BACKUP'] })
  createVersion(@CurrentUser() caller: AuthUser, @Body() dto: BackupVersionCreateDto): Promise<BackupVersionCreatedDto> {
    return this.keyBackupService.createVersion(caller, dto);
  }

  /** Your current backup. */
  @Get('version')
  @ApiErrors({ 404: ['BACKUP_NOT_FOUND'] })
  currentVersion(@CurrentUser() caller: AuthUser): Promise<BackupVersionDto> {
    return this.keyBackupService.getVersion(caller);
  }

  /** One backup by its version. */
  @Get('version/:version')
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 404: ['BACKUP_NOT_FOUND'] })
  getVersion(@CurrentUser() caller: AuthUser, @Param() params: BackupVersionParamDto): Promise<BackupVersionDto> {
    return this.keyBackupService.getVersion(caller, params.version);
  }

  /** Deletes a backup with all its keys. */
  @Delete('version/:version')
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 404: ['BACKUP_NOT_FOUND'] })
  async deleteVersion(@CurrentUser() caller: AuthUser, @Param() params: BackupVersionParamDto): Promise<EmptyResponseDto> {
    await this.keyBackupService.deleteVersion(caller, params.version);
    return {};
  }

  /** Stores encrypted sessions in the current backup; a session already there is replaced only by a better copy. */
  @Put('keys')
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'INVALID_BACKUP'], 403: ['WRONG_BACKUP_VERSION'], 404: ['BACKUP_NOT_FOUND'], 409: ['BACKUP_FULL'] })
  putKeys(@CurrentUser() caller: AuthUser, @Query() query: BackupKeysQueryDto, @Body() dto: BackupKeysDto): Promise<BackupKeysResponseDto> {
    return this.keyBackupService.putKeys(caller, query.version, dto);
  }

  /** The encrypted sessions of a backup, for a device that has the recovery key: all of them, or a page with `limit` and `from`. */
  @Get('keys')
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'INVALID_CURSOR'], 404: ['BACKUP_NOT_FOUND'] })
  getKeys(@CurrentUser() caller: AuthUser, @Query() query: BackupKeysPageQueryDto): Promise<BackupKeysPageDto> {
    return this.keyBackupService.getKeys(caller, query.version, query.limit, query.from);
  }
}
