import { Transform } from 'class-transformer';
import { IsString, Length, MaxLength } from 'class-validator';
import { OptionalNotNull } from '../../common/validation.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class UpdateProfileDto {
  /** 1–64 characters; leading and trailing spaces are removed. */
  @OptionalNotNull()
  @Transform(trim)
  @IsString()
  @Length(1, 64)
  displayName?: string;

  /** Up to 140 characters; an empty string clears it. */
  @OptionalNotNull()
  @Transform(trim)
  @IsString()
  @MaxLength(140)
  statusMessage?: string;
}
