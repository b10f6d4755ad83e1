import { ApiProperty } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import { OneTimeKeyCountsDto } from './keys.dto.js';

export class SendToDeviceDto {
  /** `{ [userId]: { [deviceId or "*"]: content } }`; each content at most 64 KiB as JSON, at most 100 entries */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'object', additionalProperties: true } } })
  @IsObject()
  messages: Record<string, Record<string, Record<string, unknown>>>;
}

/** An empty JSON object, as Matrix answers a to-device send. */
export class EmptyResponseDto {}

export class SyncQueryDto {
  /** The `next_batch` of the previous sync: what it acknowledges is deleted. Omit on the first sync. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  since?: string;
}

export class ToDeviceEventDto {
  type: string;
  /** `@<user uuid>:iris` */
  sender: string;
  @ApiProperty({ type: 'object', additionalProperties: true })
  content: Record<string, unknown>;
}

export class ToDeviceEventsDto {
  events: ToDeviceEventDto[];
}

export class DeviceListsDto {
  /** Users whose devices changed: query their keys again. */
  changed: string[];
  /** Users who are gone (erased). */
  left: string[];
}

export class SyncResponseDto {
  /** Pass as `since` to acknowledge this page and get the next. */
  next_batch: string;
  /** More is waiting: sync again at once with `since: next_batch`. */
  limited: boolean;
  to_device: ToDeviceEventsDto;
  device_lists: DeviceListsDto;
  device_one_time_keys_count: OneTimeKeyCountsDto;
  /** `["signed_curve25519"]` while the uploaded fallback key has not been claimed. */
  device_unused_fallback_key_types: string[];
}

/** `e2ee.sync`: something waits for this device; GET /api/e2ee/sync. Sent to the device's session only. */
export class EncryptionSyncEventDto {}
