import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsObject, IsOptional, IsString, Length, ValidateNested } from 'class-validator';

const SIGNATURES = { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'string' } } } as const;

/** A public cross-signing key, as Matrix's `CrossSigningKey`. */
export class CrossSigningKeyDto {
  /** `@<user uuid>:iris` */
  user_id: string;
  /** `["master"]`, `["self_signing"]` or `["user_signing"]` */
  usage: string[];
  /** `{ "ed25519:<public key>": <public key> }`, unpadded base64 */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  keys: Record<string, string>;
  /** The master key's signature on a subkey; a device's on the master key */
  @ApiPropertyOptional(SIGNATURES)
  signatures?: Record<string, Record<string, string>>;
}

/** Matrix's user-interactive auth, password stage only. */
export class PasswordAuthDto {
  /** `m.login.password` */
  @IsOptional()
  @IsIn(['m.login.password'])
  type?: string;

  /** Your current password. */
  @IsString()
  @Length(1, 256)
  password: string;
}

/** The caller's cross-signing keys: a new master key comes with both subkeys, all signed by it. */
export class DeviceSigningUploadDto {
  @ApiPropertyOptional({ type: CrossSigningKeyDto })
  @IsOptional()
  @IsObject()
  master_key?: Record<string, unknown>;

  @ApiPropertyOptional({ type: CrossSigningKeyDto })
  @IsOptional()
  @IsObject()
  self_signing_key?: Record<string, unknown>;

  @ApiPropertyOptional({ type: CrossSigningKeyDto })
  @IsOptional()
  @IsObject()
  user_signing_key?: Record<string, unknown>;

  /** Your current password: needed to replace keys you already published (an identity reset), ignored otherwise. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PasswordAuthDto)
  auth?: PasswordAuthDto;
}

/** `{ [userId]: { [device id or master public key]: the signed object } }`, at most 100 objects. */
export const SIGNATURES_UPLOAD_SCHEMA = {
  type: 'object',
  additionalProperties: { type: 'object', additionalProperties: { type: 'object', additionalProperties: true } },
} as const;

export class SignaturesUploadResponseDto {
  /** Always empty: a signature that does not verify refuses the whole upload (400 INVALID_SIGNATURE). */
  @ApiProperty({ type: 'object', additionalProperties: true })
  failures: Record<string, unknown>;
}
