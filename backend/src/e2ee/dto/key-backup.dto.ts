import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

/** The user's private cross-signing keys, AES-GCM encrypted on the device with a key derived from the recovery key. */
export class SealedCrossSigningKeysDto {
  iv: string;
  ciphertext: string;
}

/** `{ public_key, signatures?, iris_cross_signing? }` of a `m.megolm_backup.v1.curve25519-aes-sha2` backup. */
export class BackupAuthDataDto {
  /** The backup's curve25519 public key, unpadded base64; its private half is the recovery key, never sent */
  public_key: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'string' } } })
  signatures?: Record<string, Record<string, string>>;
  /** So that a device that enters the recovery key can also sign itself (become verified) */
  iris_cross_signing?: SealedCrossSigningKeysDto;
}

export class BackupVersionCreateDto {
  /** `m.megolm_backup.v1.curve25519-aes-sha2` */
  @IsString()
  @MaxLength(64)
  algorithm: string;

  @ApiProperty({ type: BackupAuthDataDto })
  @IsObject()
  auth_data: Record<string, unknown>;
}

export class BackupVersionCreatedDto {
  version: string;
}

export class BackupVersionDto {
  algorithm: string;
  @ApiProperty({ type: BackupAuthDataDto })
  auth_data: Record<string, unknown>;
  version: string;
  /** Keys stored in this backup */
  count: number;
  /** Changes whenever the stored keys change */
  etag: string;
}

export class BackupVersionParamDto {
  @Matches(/^\d{1,18}$/)
  version: string;
}

export class BackupKeysQueryDto {
  /** The backup version the keys belong to */
  @Matches(/^\d{1,18}$/)
  version: string;
}

/** Reading a backup: all of it as Matrix does, or a page at a time (an Iris extension). */
export class BackupKeysPageQueryDto extends BackupKeysQueryDto {
  /** At most this many sessions (1–1,000); left out, every session of the backup as Matrix answers */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  /** The `next_batch` of the previous page */
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  from?: string;
}

/** `{ ephemeral, ciphertext, mac }`: a Megolm session encrypted to the backup's public key. */
export class BackupSessionDataDto {
  ephemeral: string;
  ciphertext: string;
  mac: string;
}

/** One backed-up Megolm session, as Matrix's `KeyBackupData`. */
export class KeyBackupDataDto {
  first_message_index: number;
  forwarded_count: number;
  is_verified: boolean;
  session_data: BackupSessionDataDto;
}

const ROOMS = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    properties: { sessions: { type: 'object', additionalProperties: { $ref: '#/components/schemas/KeyBackupDataDto' } } },
  },
} as const;

export class BackupKeysDto {
  /** `{ [roomId]: { sessions: { [sessionId]: KeyBackupDataDto } } }`, at most 1,000 sessions a call */
  @ApiProperty(ROOMS)
  @IsObject()
  rooms: Record<string, { sessions: Record<string, KeyBackupDataDto> }>;
}

export class BackupKeysPageDto extends BackupKeysDto {
  /** Set when `limit` cut the answer short: send it as `from` for the next page */
  next_batch?: string;
}

export class BackupKeysResponseDto {
  count: number;
  etag: string;
}
