import { Transform } from 'class-transformer';
import { IsString, Length } from 'class-validator';
import { PageQueryDto } from '../../common/page-query.dto.js';

export class SearchUsersDto extends PageQueryDto {
  /** Matches the start of, or is close to, a username or display name (case-insensitive). */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsString()
  @Length(1, 64)
  search: string;
}
