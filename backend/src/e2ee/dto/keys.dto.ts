import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsObject, IsOptional, IsString, MaxLength, Min, ValidateNested } from 'class-validator';

/** `{ [userId]: { [keyId]: signature } }` */
const SIGNATURES = { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'string' } } } as const;

/** The identity keys of a device, as Matrix's `DeviceKeys`: for the caller's own user and device only. */
export class DeviceKeysDto {
  /** `@<user uuid>:iris`, the caller's */
  @IsString()
  @MaxLength(255)
  user_id: string;

  /** The caller's session id */
  @IsString()
  @MaxLength(255)
  device_id: string;

  /** e.g. `m.olm.v1.curve25519-aes-sha2`, `m.megolm.v1.aes-sha2` */
  @IsArray()
  @ArrayMaxSize(16)
  @IsString({ each: true })
  @MaxLength(255, { each: true })
  algorithms: string[];

  /** `curve25519:<device>` and `ed25519:<device>`, unpadded base64 */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  @IsObject()
  keys: Record<string, string>;

  @ApiProperty(SIGNATURES)
  @IsObject()
  signatures: Record<string, Record<string, string>>;

  /** Not stored. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  unsigned?: Record<string, unknown>;
}

/** A signed curve25519 key (one-time or fallback). */
export class SignedKeyDto {
  /** Unpadded base64 */
  key: string;
  /** Set on a fallback key. */
  fallback?: boolean;
  @ApiProperty(SIGNATURES)
  signatures: Record<string, Record<string, string>>;
}

const SIGNED_KEYS: { type: 'object'; additionalProperties: { $ref: string } } = { type: 'object', additionalProperties: { $ref: '#/components/schemas/SignedKeyDto' } };

export class KeysUploadDto {
  @IsOptional()
  @ValidateNested()
  @Type(() => DeviceKeysDto)
  device_keys?: DeviceKeysDto;

  /** `{ "signed_curve25519:<id>": SignedKeyDto }`, at most 100 a call */
  @ApiPropertyOptional(SIGNED_KEYS)
  @IsOptional()
  @IsObject()
  one_time_keys?: Record<string, SignedKeyDto>;

  /** One `{ "signed_curve25519:<id>": SignedKeyDto }`; replaces the previous fallback key */
  @ApiPropertyOptional(SIGNED_KEYS)
  @IsOptional()
  @IsObject()
  fallback_keys?: Record<string, SignedKeyDto>;
}

export class OneTimeKeyCountsDto {
  signed_curve25519: number;
}

export class KeysUploadResponseDto {
  one_time_key_counts: OneTimeKeyCountsDto;
}

export class KeysQueryDto {
  /** `{ [userId]: deviceIds }`; an empty list asks for every device. At most 100 users. */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } })
  @IsObject()
  device_keys: Record<string, string[]>;

  /** Accepted for Matrix clients; the server answers at once. */
  @IsOptional()
  @IsInt()
  @Min(0)
  timeout?: number;
}

export class KeysQueryResponseDto {
  /** `{ [userId]: { [deviceId]: DeviceKeysDto } }`; a user the caller may not see has no devices */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'object', additionalProperties: { $ref: '#/components/schemas/DeviceKeysDto' } } })
  device_keys: Record<string, Record<string, DeviceKeysDto>>;
  /** Always empty: there is one server. */
  @ApiProperty({ type: 'object', additionalProperties: true })
  failures: Record<string, unknown>;
  /** Empty until cross-signing comes (the e2ee-trust issue). */
  @ApiProperty({ type: 'object', additionalProperties: true })
  master_keys: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true })
  self_signing_keys: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true })
  user_signing_keys: Record<string, unknown>;
}

export class KeysClaimDto {
  /** `{ [userId]: { [deviceId]: "signed_curve25519" } }`; at most 100 devices. */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'string' } } })
  @IsObject()
  one_time_keys: Record<string, Record<string, string>>;

  @IsOptional()
  @IsInt()
  @Min(0)
  timeout?: number;
}

export class KeysClaimResponseDto {
  /** `{ [userId]: { [deviceId]: { "signed_curve25519:<id>": SignedKeyDto } } }`; a device with no key left is missing */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'object', additionalProperties: SIGNED_KEYS } })
  one_time_keys: Record<string, Record<string, Record<string, SignedKeyDto>>>;
  @ApiProperty({ type: 'object', additionalProperties: true })
  failures: Record<string, unknown>;
}

/** Who the calling device is, in Matrix ids. */
export class WhoamiDto {
  /** `@<user uuid>:iris` */
  user_id: string;
  /** The session id of this sign-in */
  device_id: string;
}
