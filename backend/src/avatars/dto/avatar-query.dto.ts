import { IsIn, IsOptional, IsUUID } from 'class-validator';

export const AVATAR_SIZES = ['large', 'small'] as const;

export class AvatarQueryDto {
  /** The `avatarVersion` you have: when it is the current one, the answer is cacheable for good. */
  @IsOptional()
  @IsUUID()
  v?: string;

  /** `large` (256 px, the default) or `small` (64 px, for lists). */
  @IsOptional()
  @IsIn(AVATAR_SIZES)
  size?: (typeof AVATAR_SIZES)[number];
}
