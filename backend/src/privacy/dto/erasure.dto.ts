import { IsString, Length } from 'class-validator';

export class EraseMeDto {
  /** Your current password, to confirm. */
  @IsString()
  @Length(1, 256)
  password: string;
}

/** What an erasure removed (or, for a dry run, would remove). */
export class ErasureCountsDto {
  /** Messages the user sent, with every edit (edits replace the text in place). */
  messages: number;
  /** Files the user uploaded, sent or not, with their thumbnails. */
  attachments: number;
  /** Bytes of those files. */
  attachmentBytes: number;
  /** Friends the user had. */
  friendships: number;
  /** Pending friend requests from or to the user. */
  friendRequests: number;
  /** Blocks by or of the user. */
  blocks: number;
  /** Signed-in devices, with their refresh tokens. */
  sessions: number;
  /** Conversations the user was in (their read markers go; the peer keeps their side). */
  conversations: number;
  /** Devices with encryption keys, with their one-time keys, fallback keys and undelivered to-device messages. */
  e2eeDevices: number;
}

export class ErasureResultDto {
  /** True when nothing was deleted and the counts say what would be. */
  dryRun: boolean;
  counts: ErasureCountsDto;
}
